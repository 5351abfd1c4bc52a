package io.conpool.demo.load;

/** Only one load run at a time: it owns the generator's bounded thread pool. Answered with 409. */
public final class LoadAlreadyRunningException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LoadAlreadyRunningException() {
        super("a load run is already in progress; wait for its summary");
    }
}
