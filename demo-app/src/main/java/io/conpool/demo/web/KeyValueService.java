package io.conpool.demo.web;

import java.io.IOException;
import java.util.Optional;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.demo.resp.MalformedReplyException;
import io.conpool.demo.resp.RespClient;
import io.conpool.demo.resp.RespReply;
import io.conpool.demo.resp.UnexpectedReplyException;

import org.springframework.stereotype.Service;

/**
 * {@code SET} and {@code GET} over pooled connections: the two ways of using the pool side by side.
 */
@Service
public class KeyValueService {

    private final ConnectionPool pool;

    public KeyValueService(ConnectionPool pool) {
        this.pool = pool;
    }

    /**
     * Stores the value under the key: a lease held with try-with-resources, closed (given back) on every path.
     *
     * @throws UnexpectedReplyException the server answered with an error (e.g. the embedded backend is full)
     * @throws IOException the connection failed (the pool sees the I/O error and destroys the connection)
     */
    public void set(Endpoint endpoint, String key, String value) throws IOException {
        try (PooledConnection connection = pool.acquire(endpoint)) {
            RespClient.send(connection.out(), "SET", key, value);
            RespReply reply = readOrInvalidate(connection);
            if (!(reply instanceof RespReply.Simple simple) || !"OK".equals(simple.text())) {
                // A complete error reply leaves the connection in a known state: it goes back to the pool.
                throw new UnexpectedReplyException("SET", reply);
            }
        }
    }

    /**
     * Reads the key: the work runs inside {@link ConnectionPool#withConnection}, which gives the connection back when
     * the work returns and destroys it when the work throws.
     *
     * @return the value, or empty if the key does not exist
     */
    public Optional<String> get(Endpoint endpoint, String key) throws IOException {
        RespReply reply = pool.withConnection(endpoint, connection -> {
            RespClient.send(connection.out(), "GET", key);
            return RespClient.read(connection.in());
        });
        if (reply instanceof RespReply.Bulk bulk) {
            return Optional.ofNullable(bulk.text());
        }
        throw new UnexpectedReplyException("GET", reply);
    }

    /**
     * Reads a reply; if the bytes are not one, the protocol state is unknown and the connection must not be reused.
     * (I/O errors need no such care: the connection's streams report them to the pool.)
     */
    private static RespReply readOrInvalidate(PooledConnection connection) throws IOException {
        try {
            return RespClient.read(connection.in());
        }
        catch (MalformedReplyException ex) {
            // Ends the lease; the try-with-resources close() that follows then fails with IllegalStateException,
            // which Java attaches to this exception as suppressed.
            connection.invalidate();
            throw ex;
        }
    }
}
