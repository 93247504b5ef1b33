"""The readers-writer lock of the derived indexes: shared reads, exclusive and re-entrant writes."""

from __future__ import annotations

import threading
import time

from index.rwlock import ReadWriteLock


def test_readers_share_and_a_writer_waits_for_them():
    lock, events = ReadWriteLock(), []
    both_in = threading.Barrier(2, timeout=5)

    def reader(name):
        with lock.read():
            both_in.wait()  # only passes when the two readers hold the lock together
            events.append(f"{name} read")
            time.sleep(0.05)

    def writer():
        time.sleep(0.01)
        with lock.write():
            events.append("write")

    threads = [threading.Thread(target=reader, args=(n,)) for n in ("a", "b")] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert sorted(events[:2]) == ["a read", "b read"] and events[2] == "write"


def test_a_waiting_writer_goes_before_new_readers_and_writes_are_reentrant():
    lock, order = ReadWriteLock(), []
    first_reader_in, writer_waiting = threading.Event(), threading.Event()

    def first_reader():
        with lock.read():
            first_reader_in.set()
            writer_waiting.wait(5)
            time.sleep(0.05)  # the writer is queued by now
            order.append("first reader")

    def writer():
        first_reader_in.wait(5)
        writer_waiting.set()
        with lock.write():
            with lock.write(), lock.read():  # the writer re-enters and may read what it changes
                order.append("writer")

    def late_reader():
        writer_waiting.wait(5)
        time.sleep(0.02)
        with lock.read():
            order.append("late reader")

    threads = [threading.Thread(target=f) for f in (first_reader, writer, late_reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert order == ["first reader", "writer", "late reader"]
    with lock.write():  # released completely: it can be taken again
        pass
