"""Order validation, the order state machine (legal and illegal moves), order store, events."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nautilus.bus.base import decode_message, encode_message
from nautilus.core.errors import ConflictError, ValidationError
from nautilus.model.events import (
    ORDER_EVENT_TYPES,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderTriggered,
    OrderType,
    OrderUpdated,
)
from nautilus.model.instrument import Instrument
from nautilus.model.orders import (
    FILL,
    PREVIOUS,
    SAME,
    TRANSITIONS,
    Order,
    OrderStore,
    bracket,
    make_order,
    oco,
)

INST = Instrument.create("AAPL.XNAS", "equity", "USD", tick_size="0.01", lot_size="1")
CID = "C-1"
_n = [0]


def ev(cls: type[OrderEvent], qty: str = "1", px: str = "100.00", **kw: object) -> OrderEvent:
    """An event of ``cls`` for order ``C-1`` with the fields its class needs."""
    base: dict[str, object] = {
        "client_order_id": CID,
        "instrument_id": INST.id,
        "ts_event": 1,
        "ts_init": 1,
    }
    if cls in (OrderDenied, OrderRejected, OrderModifyRejected, OrderCancelRejected):
        base["reason"] = "test_reason"
    if cls is OrderAccepted:
        base["venue_order_id"] = "V-1"
    if cls is OrderFilled:
        _n[0] += 1
        base.update(
            venue_order_id="V-1",
            trade_id=f"T-{_n[0]}",
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            last_qty=Decimal(qty),
            last_px=Decimal(px),
            currency="USD",
        )
    base.update(kw)
    return cls(**base)  # type: ignore[arg-type]


def new_order(qty: str = "10") -> Order:
    return make_order(INST, "buy", "limit", qty, price="100.00", client_order_id=CID)


PATHS: dict[OrderStatus, list[OrderEvent]] = {
    OrderStatus.INITIALIZED: [],
    OrderStatus.DENIED: [ev(OrderDenied)],
    OrderStatus.SUBMITTED: [ev(OrderSubmitted)],
    OrderStatus.ACCEPTED: [ev(OrderSubmitted), ev(OrderAccepted)],
    OrderStatus.REJECTED: [ev(OrderSubmitted), ev(OrderRejected)],
    OrderStatus.TRIGGERED: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderTriggered)],
    OrderStatus.PENDING_UPDATE: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderPendingUpdate)],
    OrderStatus.PENDING_CANCEL: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderPendingCancel)],
    OrderStatus.PARTIALLY_FILLED: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderFilled, "3")],
    OrderStatus.FILLED: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderFilled, "10")],
    OrderStatus.CANCELED: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderCanceled)],
    OrderStatus.EXPIRED: [ev(OrderSubmitted), ev(OrderAccepted), ev(OrderExpired)],
}


def order_in(status: OrderStatus) -> Order:
    o = new_order()
    for e in PATHS[status]:
        o.apply(e)
    assert o.status is status
    return o


def test_every_status_has_a_row_and_a_path() -> None:
    assert set(TRANSITIONS) == set(OrderStatus) == set(PATHS)


@pytest.mark.parametrize(("status", "cls"), [(s, c) for s, row in TRANSITIONS.items() for c in row])
def test_every_legal_transition(status: OrderStatus, cls: type[OrderEvent]) -> None:
    o = order_in(status)
    target = TRANSITIONS[status][cls]
    e = ev(cls, "1")
    assert o.apply(e) is True
    if target == SAME:
        assert o.status is status
    elif target == PREVIOUS:
        assert o.status is OrderStatus.ACCEPTED  # every path enters pending from accepted
    elif target == FILL:
        assert o.status is OrderStatus.PARTIALLY_FILLED
    else:
        assert o.status is target
    assert o.events[-1] is e


ILLEGAL = [(s, c) for s in OrderStatus for c in ORDER_EVENT_TYPES if c not in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "cls"), ILLEGAL)
def test_illegal_transition_raises_and_is_not_applied(
    status: OrderStatus, cls: type[OrderEvent]
) -> None:
    o = order_in(status)
    n, filled = len(o.events), o.filled_qty
    assert not o.can_apply(ev(cls))
    with pytest.raises(ConflictError) as info:
        o.apply(ev(cls))
    assert info.value.code == "illegal_transition"
    assert (o.status, len(o.events), o.filled_qty) == (status, n, filled)


def test_representative_illegal_moves_exist() -> None:
    pairs = set(ILLEGAL)
    assert (OrderStatus.FILLED, OrderCanceled) in pairs
    assert (OrderStatus.INITIALIZED, OrderFilled) in pairs
    assert (OrderStatus.CANCELED, OrderAccepted) in pairs
    assert (OrderStatus.PARTIALLY_FILLED, OrderAccepted) in pairs


def test_overfill_rejected_and_average_price_exact() -> None:
    o = order_in(OrderStatus.ACCEPTED)
    o.apply(ev(OrderFilled, "3", "100.01"))
    o.apply(ev(OrderFilled, "7", "100.02"))
    assert o.status is OrderStatus.FILLED
    assert o.avg_px == Decimal("100.017")
    o2 = order_in(OrderStatus.PARTIALLY_FILLED)
    with pytest.raises(ConflictError) as info:
        o2.apply(ev(OrderFilled, "8"))
    assert info.value.code == "overfill"
    assert o2.filled_qty == 3


def test_duplicate_trade_id_is_ignored() -> None:
    o = order_in(OrderStatus.ACCEPTED)
    f = ev(OrderFilled, "2")
    assert o.apply(f) is True
    assert o.apply(f) is False
    assert o.filled_qty == 2


def test_update_quantity_rules() -> None:
    o = order_in(OrderStatus.PARTIALLY_FILLED)  # 3 of 10
    with pytest.raises(ConflictError) as info:
        o.apply(ev(OrderUpdated, quantity=Decimal(2)))
    assert info.value.code == "quantity_below_filled"
    o.apply(ev(OrderUpdated, quantity=Decimal(3), price=Decimal("99.50")))
    assert o.status is OrderStatus.FILLED and o.price == Decimal("99.50")


def test_pending_cancel_then_cancel_rejected_returns_to_previous() -> None:
    o = order_in(OrderStatus.PARTIALLY_FILLED)
    o.apply(ev(OrderPendingCancel))
    o.apply(ev(OrderCancelRejected))
    assert o.status is OrderStatus.PARTIALLY_FILLED


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ORDER_EVENT_TYPES), st.integers(1, 6)), max_size=30))
def test_random_event_sequences_never_overfill(steps: list[tuple[type[OrderEvent], int]]) -> None:
    o = new_order("10")
    for cls, q in steps:
        before = (o.status, o.filled_qty, len(o.events))
        try:
            o.apply(ev(cls, str(q)))
        except ConflictError:
            assert (o.status, o.filled_qty, len(o.events)) == before
        assert 0 <= o.filled_qty <= o.quantity
        assert (o.status is OrderStatus.FILLED) == (o.filled_qty == o.quantity)
        if o.status is OrderStatus.FILLED:
            assert o.leaves_qty == 0


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"quantity": "nan"}, "non_finite"),
        ({"quantity": "inf"}, "non_finite"),
        ({"quantity": "0"}, "invalid_quantity"),
        ({"quantity": "-5"}, "invalid_quantity"),
        ({"quantity": "1.5"}, "invalid_increment"),
        ({"quantity": "abc"}, "invalid_number"),
        ({"price": "100.001"}, "invalid_increment"),
        ({"price": "-1"}, "invalid_price"),
        ({"price": None}, "missing_price"),
        ({"time_in_force": "gtd"}, "missing_expire_time"),
        ({"time_in_force": "gtd", "expire_time_ns": 5, "ts_init": 10}, "expired_gtd"),
    ],
)
def test_validation_reason_codes(kwargs: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"quantity": "10", "price": "100.00"}
    args.update(kwargs)
    qty = args.pop("quantity")
    with pytest.raises(ValidationError) as info:
        make_order(INST, "buy", "limit", qty, **args)  # type: ignore[arg-type]
    assert info.value.code == code


def test_other_types_validate() -> None:
    with pytest.raises(ValidationError) as info:
        make_order(INST, "sell", "stop", 5)
    assert info.value.code == "missing_trigger_price"
    with pytest.raises(ValidationError) as info:
        make_order(INST, "buy", "market", 5, post_only=True)
    assert info.value.code == "post_only_not_limit"
    with pytest.raises(ValidationError) as info:
        make_order(INST, "sell", "trailing_stop", 5)
    assert info.value.code == "missing_trailing_offset"
    ts = make_order(
        INST, "sell", "trailing_stop", 5, trailing_offset="1.5", trailing_offset_type="percent"
    )
    assert ts.trailing_offset == Decimal("1.5")
    sl = make_order(
        INST,
        "buy",
        "stop_limit",
        5,
        price="101.00",
        trigger_price="100.50",
        time_in_force="gtd",
        expire_time_ns=100,
        ts_init=10,
    )
    assert (sl.price, sl.trigger_price, sl.expire_time_ns) == (
        Decimal("101.00"),
        Decimal("100.50"),
        100,
    )
    for t in ("market_on_open", "market_on_close"):
        assert make_order(INST, "buy", t, 1).order_type.value == t


def test_order_store_is_idempotent_by_client_order_id() -> None:
    store = OrderStore()
    first = store.add(make_order(INST, "buy", "market", 1, client_order_id="X"))
    again = store.add(make_order(INST, "sell", "market", 9, client_order_id="X"))
    assert again is first and len(store) == 1 and first.quantity == 1
    store.apply(OrderSubmitted(client_order_id="X", instrument_id=INST.id, ts_event=1, ts_init=1))
    assert store.open_orders() == [first]
    assert (
        store.apply(
            OrderSubmitted(client_order_id="Y", instrument_id=INST.id, ts_event=1, ts_init=1)
        )
        is None
    )


def test_bracket_and_oco_links() -> None:
    b = bracket(INST, "buy", 10, take_profit="110.00", stop_loss="95.00", ts_init=0)
    entry, tp, sl = b.orders
    assert entry.linked_order_ids == (tp.client_order_id, sl.client_order_id)
    assert tp.parent_order_id == sl.parent_order_id == entry.client_order_id
    assert tp.linked_order_ids == (sl.client_order_id,) and tp.reduce_only and sl.reduce_only
    assert (tp.side, sl.order_type, entry.order_type) == (
        OrderSide.SELL,
        OrderType.STOP,
        OrderType.MARKET,
    )
    with pytest.raises(ValidationError):
        bracket(INST, "buy", 10, take_profit="90.00", stop_loss="95.00")
    a = make_order(INST, "buy", "limit", 1, price="99.00")
    c = make_order(INST, "buy", "limit", 1, price="98.00")
    group = oco([a, c])
    assert a.linked_order_ids == (c.client_order_id,) and a.order_list_id == group.order_list_id


def test_events_round_trip_on_the_wire() -> None:
    for cls in ORDER_EVENT_TYPES:
        e = ev(cls, "2", "101.25")
        decoded, ts = decode_message(encode_message(e, 7))
        assert decoded == e and ts == 7
        assert msgspec.json.decode(msgspec.json.encode(e), type=cls) == e
