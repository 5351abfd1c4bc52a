package io.conpool.internal;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;

/**
 * BENCHMARKS ONLY: a socket channel with no socket behind it. Reads return 0 bytes (what a healthy idle connection
 * gives a non-blocking read), changing the blocking mode does nothing. Lets a benchmark measure conpool's
 * borrow/return bookkeeping without the liveness probe's system calls.
 */
final class NullSocketChannel extends SocketChannel {

    private final Socket socket = new Socket();

    NullSocketChannel() {
        super(SelectorProvider.provider());
    }

    @Override
    public SocketChannel bind(SocketAddress local) {
        return this;
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) {
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) {
        return null;
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Set.of();
    }

    @Override
    public SocketChannel shutdownInput() {
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() {
        return this;
    }

    @Override
    public Socket socket() {
        return socket;
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isConnectionPending() {
        return false;
    }

    @Override
    public boolean connect(SocketAddress remote) {
        return true;
    }

    @Override
    public boolean finishConnect() {
        return true;
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return null;
    }

    @Override
    public int read(ByteBuffer dst) {
        return 0;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
        return 0;
    }

    @Override
    public int write(ByteBuffer src) {
        return 0;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        return 0;
    }

    @Override
    public SocketAddress getLocalAddress() {
        return null;
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        socket.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
    }
}
