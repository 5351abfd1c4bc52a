package io.conpool.internal;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;

import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectState;

/**
 * The wrapper commons-pool2 keeps each {@link Connection} in: its state for commons-pool2 (idle, allocated, under
 * the sweep's examination, returning, invalid) and its borrow and return times.
 *
 * <p>Why not commons-pool2's {@code DefaultPooledObject}: it reads the wall clock on every allocate, deallocate and
 * active-time query, three times a borrow and return (about 45 ns each on the virtual machines measured here, plus
 * an {@code Instant} each), and the reuse rules need the time again, on the pool's own monotonic (and, in tests,
 * injected) ticker. Here the borrow time is read once, by {@link #allocate()}, and the reuse rules use that same
 * reading; the return time is the one the lease's end already read. The state rules are those of the
 * {@link PooledObject} contract: an object under examination that a borrower reached goes back to the head of the
 * idle queue when the examination ends.
 */
final class ConnectionEntry implements PooledObject<Connection> {

    private final Connection connection;

    /** Wall-clock millis at creation, to turn ticker readings into the instants commons-pool2's reports show. */
    private final long createdWallMillis = System.currentTimeMillis();

    private PooledObjectState state = PooledObjectState.IDLE;

    /** Ticker reading taken by the last {@link #allocate()}: "now" for the reuse rules of that borrow. */
    private long lastBorrowNanos;

    private long lastReturnNanos;

    private long borrowedCount;

    ConnectionEntry(Connection connection) {
        this.connection = connection;
        this.lastBorrowNanos = connection.createdNanos;
        this.lastReturnNanos = connection.createdNanos;
    }

    @Override
    public Connection getObject() {
        return connection;
    }

    /** When the borrow under way started, on the endpoint's ticker. */
    long borrowedAtNanos() {
        return lastBorrowNanos;
    }

    @Override
    public synchronized boolean allocate() {
        if (state == PooledObjectState.IDLE) {
            state = PooledObjectState.ALLOCATED;
            lastBorrowNanos = connection.owner.ticker.nanoTime();
            borrowedCount++;
            return true;
        }
        if (state == PooledObjectState.EVICTION) {
            state = PooledObjectState.EVICTION_RETURN_TO_HEAD; // the borrower moves on; it goes first once examined
        }
        return false;
    }

    @Override
    public synchronized boolean deallocate() {
        if (state == PooledObjectState.ALLOCATED || state == PooledObjectState.RETURNING) {
            state = PooledObjectState.IDLE;
            lastReturnNanos = connection.lastUsedNanos; // read by the lease's end, just before
            return true;
        }
        return false;
    }

    @Override
    public synchronized boolean startEvictionTest() {
        if (state == PooledObjectState.IDLE) {
            state = PooledObjectState.EVICTION;
            return true;
        }
        return false;
    }

    @Override
    public synchronized boolean endEvictionTest(Deque<PooledObject<Connection>> idleQueue) {
        if (state == PooledObjectState.EVICTION) {
            state = PooledObjectState.IDLE;
            return true;
        }
        if (state == PooledObjectState.EVICTION_RETURN_TO_HEAD) {
            state = PooledObjectState.IDLE;
            idleQueue.offerFirst(this);
        }
        return false;
    }

    @Override
    public synchronized PooledObjectState getState() {
        return state;
    }

    @Override
    public synchronized void invalidate() {
        state = PooledObjectState.INVALID;
    }

    @Override
    public synchronized void markAbandoned() {
        state = PooledObjectState.ABANDONED;
    }

    @Override
    public synchronized void markReturning() {
        state = PooledObjectState.RETURNING;
    }

    @Override
    public synchronized Duration getActiveDuration() {
        long end = lastReturnNanos - lastBorrowNanos > 0 ? lastReturnNanos : connection.lastUsedNanos;
        return Duration.ofNanos(Math.max(0, end - lastBorrowNanos));
    }

    @Override
    public long getActiveTimeMillis() {
        return getActiveDuration().toMillis();
    }

    @Override
    public synchronized long getBorrowedCount() {
        return borrowedCount;
    }

    @Override
    public long getCreateTime() {
        return createdWallMillis;
    }

    @Override
    public synchronized long getIdleTimeMillis() {
        return Math.max(0, (connection.owner.ticker.nanoTime() - lastReturnNanos) / 1_000_000);
    }

    @Override
    public synchronized long getLastBorrowTime() {
        return wallMillis(lastBorrowNanos);
    }

    @Override
    public synchronized long getLastReturnTime() {
        return wallMillis(lastReturnNanos);
    }

    @Override
    public long getLastUsedTime() {
        return getLastReturnTime() > getLastBorrowTime() ? getLastReturnTime() : getLastBorrowTime();
    }

    @Override
    public Instant getLastUsedInstant() {
        return Instant.ofEpochMilli(getLastUsedTime());
    }

    private long wallMillis(long tickerNanos) {
        return createdWallMillis + (tickerNanos - connection.createdNanos) / 1_000_000;
    }

    /** Oldest return first (commons-pool2 sorts idle objects so to close the oldest); ties by identity. */
    @Override
    public int compareTo(PooledObject<Connection> other) {
        if (other == this) {
            return 0;
        }
        long mine = lastReturnNanos;
        long theirs = other instanceof ConnectionEntry ? ((ConnectionEntry) other).lastReturnNanos
                : mine + (other.getLastReturnTime() - getLastReturnTime()) * 1_000_000;
        int byTime = Long.compare(mine - theirs, 0);
        return byTime != 0 ? byTime
                : Integer.compare(System.identityHashCode(this), System.identityHashCode(other));
    }

    @Override
    public boolean equals(Object obj) {
        return obj == this;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public void use() {
        // no abandoned-object tracking: conpool's leak detection works on leases
    }

    @Override
    public void printStackTrace(PrintWriter writer) {
        // no abandoned-object tracking
    }

    @Override
    public void setLogAbandoned(boolean logAbandoned) {
        // no abandoned-object tracking
    }

    @Override
    public synchronized String toString() {
        return "ConnectionEntry[" + connection + ", " + state + "]";
    }
}
