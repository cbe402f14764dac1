/** A job's record, kept current from `jobs.<id>` on the stream and a slow poll as fallback. */
import { useEffect, useState } from "react";
import { unwrap } from "../api/client";
import { errorMessage } from "../api/problem";
import type { Job } from "../api/types";
import { useServices } from "../context";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

export function useJob(jobId: string | null): { job: Job | null; error: string | null } {
  const { api, stream } = useServices();
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setJob(null);
    const fetchJob = async () => {
      try {
        const j = await unwrap(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } } }));
        if (!live) return;
        setJob(j);
        setError(null);
        if (!isTerminal(j.state)) timer = setTimeout(fetchJob, 3000);
      } catch (e) {
        if (live) setError(errorMessage(e));
      }
    };
    const unsubscribe = stream.subscribe(`jobs.${jobId}`, (frame) => {
      const ev = frame.data as { state?: string; progress?: number; message?: string | null };
      setJob((j) => (j ? { ...j, state: ev.state ?? j.state, progress: ev.progress ?? j.progress, message: ev.message ?? j.message } : j));
      // the record holds the result; read it when the stream says the job ended
      if (ev.state && isTerminal(ev.state)) void fetchJob();
    });
    void fetchJob();
    return () => {
      live = false;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [api, stream, jobId]);
  return { job, error };
}

export function JobProgress({ job }: { job: Job }) {
  return (
    <div className="job-progress">
      <label>
        {job.kind} <code>{job.id}</code>: <strong data-testid="job-state">{job.state}</strong>
        <progress value={job.progress} max={1} aria-label={`${job.kind} progress`} />
        {Math.round(job.progress * 100)}%
      </label>
      {job.message && <span className="muted"> {job.message}</span>}
      {job.error && <p className="error" role="alert">{job.error}</p>}
    </div>
  );
}
