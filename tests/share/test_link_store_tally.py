"""The outbox's per-partner counts (link health) are kept as rows change, and equal a count of
the rows themselves, also for a store written before the tally existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dronewarn.share.link_store import LinkStore, OutState


def _counted(path: Path, partner: str) -> dict[str, int]:
    """The counts the slow way: every row of the partner's outbox."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT state, COUNT(*), SUM(MAX(attempts - 1, 0)) FROM outbox WHERE partner=?"
            " GROUP BY state",
            (partner,),
        ).fetchall()
    counts = {state.value: 0 for state in OutState}
    counts["retries"] = 0
    for state, n, retries in rows:
        counts[state] = n
        counts["retries"] += retries or 0
    return counts


def _traffic(store: LinkStore) -> None:
    for k in range(12):
        partner = "PL" if k % 3 else "UA"

        def sign(seq: int, k: int = k) -> tuple[str, str, float]:
            return f"m{k}", f"token-{seq}", 1e12

        store.enqueue(partner, "picture" if k % 4 == 0 else "warning", sign, float(k),
                      supersede=k % 4 == 0)  # fmt: skip
    pending = store.pending("PL", 100)
    store.attempting("PL", [m.seq for m in pending[:5]])
    store.attempting("PL", [m.seq for m in pending[:2]])  # retried twice
    store.finish("PL", pending[0].seq, OutState.ACKED, 20.0, "")
    store.finish("PL", pending[1].seq, OutState.EXPIRED, 21.0, "late")
    store.finish("PL", pending[2].seq, OutState.REFUSED, 22.0, "bad")
    store.retry_later("PL", pending[3].seq, 30.0, "down")


def test_the_tally_equals_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "link.sqlite"
    store = LinkStore(path)
    _traffic(store)
    for partner in ("PL", "UA", "BY"):
        assert store.outbox_counts(partner) == _counted(path, partner)
    assert store.outbox_counts("PL")["retries"] == 2
    assert store.outbox_counts("PL")["superseded"] >= 1
    store.close()


def test_a_store_from_before_the_tally_is_counted_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "link.sqlite"
    store = LinkStore(path)
    _traffic(store)
    expected = {p: store.outbox_counts(p) for p in ("PL", "UA")}
    store.close()
    with sqlite3.connect(path) as db:  # as the store was before the tally
        for trigger in ("outbox_tally_in", "outbox_tally_change", "outbox_tally_out"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TABLE outbox_tally")
    reopened = LinkStore(path)
    assert {p: reopened.outbox_counts(p) for p in ("PL", "UA")} == expected
    reopened.finish("UA", 1, OutState.ACKED, 40.0, "")
    assert reopened.outbox_counts("UA") == _counted(path, "UA")
    reopened.close()
