package io.conpool.demo.backend;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The demo's embedded RESP backend, bound from {@code demo.backend.*}. With {@code embedded=false} no backend is
 * started and the {@code cache} endpoint goes wherever {@code conpool.endpoints.cache.host/port} say (by default
 * {@code localhost:6379}, a local Redis).
 */
@ConfigurationProperties(prefix = "demo.backend")
public class DemoBackendProperties {

    /** Whether to start the embedded RESP backend and point the 'cache' endpoint at it. */
    private boolean embedded = true;

    /** Address the embedded backend listens on. Loopback by default: it has no authentication. */
    private String bindAddress = "127.0.0.1";

    /** Port the embedded backend listens on; 0 lets the kernel choose a free one (logged at start-up). */
    private int port = 0;

    /** Most clients connected to the embedded backend at once; each has a thread. */
    private int maxClients = 256;

    /** Most keys the embedded backend holds; a SET of a new key beyond that gets an OOM error reply. */
    private int maxKeys = 10_000;

    /** Longest key or value the embedded backend accepts, in bytes. */
    private int maxValueBytes = 16 * 1024;

    /**
     * Checks every value, naming the property and the value in the message.
     *
     * @throws IllegalArgumentException for the first bad value
     */
    public void validate() {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("demo.backend.bind-address must not be blank, was '" + bindAddress + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("demo.backend.port must be 0-65535, was " + port);
        }
        if (maxClients < 1 || maxClients > 10_000) {
            throw new IllegalArgumentException("demo.backend.max-clients must be 1-10000, was " + maxClients);
        }
        if (maxKeys < 1) {
            throw new IllegalArgumentException("demo.backend.max-keys must be at least 1, was " + maxKeys);
        }
        if (maxValueBytes < 1 || maxValueBytes > 1024 * 1024) {
            throw new IllegalArgumentException("demo.backend.max-value-bytes must be 1-1048576, was " + maxValueBytes);
        }
    }

    public boolean isEmbedded() {
        return embedded;
    }

    public void setEmbedded(boolean embedded) {
        this.embedded = embedded;
    }

    public String getBindAddress() {
        return bindAddress;
    }

    public void setBindAddress(String bindAddress) {
        this.bindAddress = bindAddress;
    }

    public int getPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public int getMaxClients() {
        return maxClients;
    }

    public void setMaxClients(int maxClients) {
        this.maxClients = maxClients;
    }

    public int getMaxKeys() {
        return maxKeys;
    }

    public void setMaxKeys(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    public int getMaxValueBytes() {
        return maxValueBytes;
    }

    public void setMaxValueBytes(int maxValueBytes) {
        this.maxValueBytes = maxValueBytes;
    }
}
