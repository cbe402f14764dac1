"""Property: any command/bar sequence gives an event stream an order store accepts."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nautilus.core.errors import ConflictError
from nautilus.model.events import OrderEvent, OrderFilled
from nautilus.model.orders import OrderStore, make_order
from nautilus.model.position import PositionBook
from tests.unit.execution.builders import AAPL, T0, M, VenueFactory, bar

ORDER = st.fixed_dictionaries(
    {
        "side": st.sampled_from(["buy", "sell"]),
        "type": st.sampled_from(["market", "limit", "stop", "stop_limit", "trailing_stop"]),
        "qty": st.integers(1, 300),
        "px": st.integers(9500, 10500),
        "tif": st.sampled_from(["gtc", "gtc", "day", "ioc", "fok"]),
        "reduce_only": st.booleans(),
    }
)
STEP = st.one_of(
    st.tuples(st.just("order"), ORDER),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("modify"), st.tuples(st.integers(0, 30), st.integers(1, 300))),
    st.tuples(
        st.just("bar"),
        st.tuples(
            st.integers(9400, 10600),
            st.integers(0, 300),
            st.integers(0, 300),
            st.integers(-300, 300),
        ),
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(STEP, min_size=8, max_size=40), st.integers(0, 3))
def test_event_stream_is_always_legal(
    make_venue: VenueFactory, steps: list[tuple[str, object]], seed: int
) -> None:
    venue, _ = make_venue(
        seed=seed,
        latency=("random", {"base_ns": 0, "jitter_ns": M}),
        fill_model=("probabilistic", {"prob_fill_on_touch": 0.5}),
        slippage=[("volume_participation", {"max_participation": 0.2})],
    )
    store = OrderStore()
    positions = PositionBook()
    events: list[OrderEvent] = []

    def on_event(e: OrderEvent) -> None:
        events.append(e)
        store.apply(e)  # raises ConflictError on any illegal transition
        if isinstance(e, OrderFilled):
            positions.apply_fill(e, AAPL)

    venue.on_event = on_event
    ids: list[str] = []
    i = 0
    for kind, arg in steps:
        ts = T0 + i * M
        if kind == "order":
            o = arg  # type: ignore[assignment]
            px = D(o["px"]) / 100  # type: ignore[index]
            order = make_order(
                AAPL,
                o["side"],
                o["type"],
                o["qty"],  # type: ignore[index]
                price=px if o["type"] in ("limit", "stop_limit") else None,  # type: ignore[index]
                trigger_price=px if o["type"] in ("stop", "stop_limit") else None,  # type: ignore[index]
                trailing_offset="1.00" if o["type"] == "trailing_stop" else None,  # type: ignore[index]
                time_in_force=o["tif"],
                reduce_only=o["reduce_only"],  # type: ignore[index]
                client_order_id=f"O{len(ids)}",
                ts_init=ts,
            )
            store.add(order)
            venue.submit(order, ts)
            ids.append(order.client_order_id)
        elif kind in ("cancel", "modify") and ids:
            n = arg if kind == "cancel" else arg[0]  # type: ignore[index]
            cid = ids[n % len(ids)]  # type: ignore[operator]
            try:
                if kind == "cancel":
                    venue.cancel(cid, ts)
                else:
                    venue.modify(cid, ts, quantity=arg[1])  # type: ignore[index]
            except ConflictError as exc:
                assert exc.code == "order_closed"
        elif kind == "bar":
            o_, up, down, move = arg  # type: ignore[misc]
            c = o_ + move
            h, lo = max(o_, c) + up, min(o_, c) - down
            venue.process_bar(bar(i, o_ / 100, h / 100, lo / 100, c / 100, v=1000))
            i += 1
    venue.advance(T0 + (i + 1) * M)
    for order in store:
        assert order.filled_qty <= order.quantity
        twin = venue.orders.get(order.client_order_id)
        if twin is not None:
            assert (twin.status, twin.filled_qty) == (order.status, order.filled_qty)
    fills = [e for e in events if isinstance(e, OrderFilled)]
    event(f"fills: {'none' if not fills else 'some'}")
    net = sum((f.side.sign * f.last_qty for f in fills), D(0))
    assert venue.net_qty.get(AAPL.id, D(0)) == net == positions.net_qty(AAPL.id)
    assert len({f.trade_id for f in fills}) == len(fills)
    times = [e.ts_event for e in events if isinstance(e, OrderFilled)]
    assert times == sorted(times)
    for oid in venue.engines[AAPL.id].orders:
        assert venue.orders[oid].is_open
