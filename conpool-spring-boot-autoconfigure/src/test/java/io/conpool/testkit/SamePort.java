package io.conpool.testkit;

import java.io.UncheckedIOException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Two loopback fixtures on the same port at two addresses, such as a live server on {@code 127.0.0.2:P} and a dead
 * one (refused, or hanging) on {@code 127.0.0.1:P}, for DNS answers with several addresses: an endpoint has one
 * port, so its addresses differ only in the IP. The first fixture picks a free port; if the second cannot have it
 * (someone holds that port on the other address), both are dropped and it starts over.
 *
 * @param first the fixture that chose the port
 * @param second the fixture on the same port at the other address ({@code null} if none was needed)
 */
public record SamePort<A extends AutoCloseable, B extends AutoCloseable>(A first, B second) implements AutoCloseable {

    /**
     * @param first starts a fixture on a free port of one address
     * @param port tells that fixture's port
     * @param second binds the other fixture on that port, throwing {@link UncheckedIOException} if it is taken
     */
    public static <A extends AutoCloseable, B extends AutoCloseable> SamePort<A, B> of(Supplier<A> first,
            java.util.function.ToIntFunction<A> port, IntFunction<B> second) {
        UncheckedIOException last = null;
        for (int i = 0; i < 20; i++) {
            A a = first.get();
            try {
                return new SamePort<>(a, second.apply(port.applyAsInt(a)));
            }
            catch (UncheckedIOException ex) {
                last = ex;
                closeQuietly(a);
            }
        }
        throw new IllegalStateException("found no port free on both loopback addresses in 20 tries", last);
    }

    /** The second fixture for "nothing listens there": succeeds only if a connect to {@code address:port} is refused. */
    public static IntFunction<AutoCloseable> refusedOn(String address) {
        return port -> {
            if (!RefusedPort.isRefused(address, port)) {
                throw new UncheckedIOException(new java.net.BindException(address + ":" + port + " is in use"));
            }
            return () -> {
            };
        };
    }

    @Override
    public void close() throws Exception {
        try {
            if (second != null) {
                second.close();
            }
        }
        finally {
            first.close();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        }
        catch (Exception ignored) {
            // starting over anyway
        }
    }
}
