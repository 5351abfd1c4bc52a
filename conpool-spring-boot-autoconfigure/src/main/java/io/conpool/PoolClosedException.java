package io.conpool;

/** The pool was closed: no connection can be acquired from it any more. */
public class PoolClosedException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    public PoolClosedException(String message) {
        super(message);
    }
}
