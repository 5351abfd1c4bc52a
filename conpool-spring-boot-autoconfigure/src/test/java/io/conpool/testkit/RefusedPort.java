package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A loopback port nobody listens on, so a connect to it is refused at once (RST). Found by binding an ephemeral
 * port and closing it again, then checking that a connect is really refused.
 */
public final class RefusedPort {

    private RefusedPort() {
    }

    /** A refused port on 127.0.0.1. */
    public static int find() {
        return find("127.0.0.1");
    }

    /** A refused port on the given loopback address (e.g. {@code 127.0.0.2}). */
    public static int find(String loopbackAddress) {
        try {
            InetAddress address = InetAddress.getByName(loopbackAddress);
            for (int i = 0; i < 10; i++) {
                int port;
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(false);
                    s.bind(new InetSocketAddress(address, 0), 1);
                    port = s.getLocalPort();
                }
                if (isRefused(loopbackAddress, port)) {
                    return port;
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("finding a refused port on " + loopbackAddress, ex);
        }
        throw new IllegalStateException("found no refused port on " + loopbackAddress + " in 10 tries");
    }

    /** Whether a connect to that address and port is refused right now. */
    public static boolean isRefused(String loopbackAddress, int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(InetAddress.getByName(loopbackAddress), port), 1_000);
            return false; // someone listens there
        }
        catch (java.net.ConnectException expected) {
            return true;
        }
        catch (IOException ex) {
            return false; // timed out or stranger: not a clean refusal
        }
    }
}
