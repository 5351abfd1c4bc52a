package io.conpool;

/**
 * What the caller of {@link ConnectionPool#withConnection(Endpoint, Idempotence, ConnectionWork)} says about its work:
 * may it run twice?
 */
public enum Idempotence {

    /**
     * Running the work twice does no harm (a read, a {@code SET} of a fixed value, an HTTP {@code GET}). If it fails
     * with an I/O error on a reused connection before reading a single byte from it, the pool runs it once more on a
     * newly opened connection: the peer most likely closed the idle connection just as the work began, a race no
     * check before the first write can close.
     */
    IDEMPOTENT,

    /** The work must not run twice (an increment, a payment, an HTTP {@code POST}): never retried. */
    NOT_IDEMPOTENT
}
