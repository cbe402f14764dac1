/** The state of a feature whose engine has no API on this server yet. Never a placeholder chart. */
export function NotAvailable({ feature, endpoint }: { feature: string; endpoint: string }) {
  return (
    <section className="not-available" aria-label={`${feature} not available`}>
      <h3>{feature}: not available yet</h3>
      <p>
        This server has no <code>{endpoint}</code> endpoint, so there is nothing real to show.
      </p>
    </section>
  );
}
