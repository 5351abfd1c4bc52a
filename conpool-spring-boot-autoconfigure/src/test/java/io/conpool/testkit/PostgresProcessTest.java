package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link PostgresProcess} starts a real PostgreSQL (initdb + postgres, as {@code nobody} when the JVM is root) that
 * the kit's {@link PgWire} client talks to: MD5 and cleartext password authentication, trust, {@code SELECT 1}, the
 * configured {@code idle_session_timeout}; and stops leaving no process, file descriptor or directory behind.
 * Skipped where PostgreSQL is not installed (fails under {@code -Dconpool.require-system-tests=true}).
 */
@Timeout(120)
class PostgresProcessTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void md5StartupAndSelectOneThenStopLeavingNothing() throws Exception {
        PostgresProcess pg = PostgresProcess.builder().password("pg-secret").idleSessionTimeout(Duration.ofMinutes(5))
                .start();
        List<ProcessHandle> processes;
        Path dir = pg.directory();
        try {
            processes = pg.processes();
            assertThat(processes).as("postmaster and its background workers").hasSizeGreaterThanOrEqualTo(2);
            assertThat(ProcessHandle.current().children()).contains(processes.get(0));
            if (PostgresProcess.runningAsRoot()) {
                assertThat(processes.get(0).info().user()).contains("nobody");
            }

            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(pg.host(), pg.port()), 5_000);
                s.setSoTimeout(10_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                PgWire.Session session = PgWire.startup(in, out, pg.user(), pg.database(), "pg-secret");
                assertThat(session.authMethod()).isEqualTo(PgWire.AuthMethod.MD5_PASSWORD);
                assertThat(session.parameters()).containsKey("server_version").containsEntry("client_encoding", "UTF8");
                assertThat(session.processId()).isPositive();

                PgWire.Result one = PgWire.query(in, out, "SELECT 1");
                assertThat(one.columns()).containsExactly("?column?");
                assertThat(one.rows()).containsExactly(List.of("1"));
                assertThat(one.commandTag()).isEqualTo("SELECT 1");

                assertThat(PgWire.query(in, out, "SHOW idle_session_timeout").rows()).containsExactly(List.of("5min"));
                assertThat(PgWire.query(in, out, "SELECT 'a' AS x, NULL AS y UNION ALL SELECT 'b', 'c'").rows())
                        .containsExactly(java.util.Arrays.asList("a", null), List.of("b", "c"));
                // An error leaves the session usable.
                assertThatThrownBy(() -> PgWire.query(in, out, "SELECT * FROM no_such_table"))
                        .isInstanceOfSatisfying(PgWire.ServerError.class,
                                e -> assertThat(e.sqlState()).isEqualTo("42P01"));
                assertThat(PgWire.query(in, out, "SELECT 2").rows()).containsExactly(List.of("2"));
                PgWire.terminate(out);
                assertThat(in.read()).isEqualTo(-1);
            }

            try (Socket s = new Socket(pg.host(), pg.port())) {
                s.setSoTimeout(10_000);
                assertThatThrownBy(() -> PgWire.startup(s.getInputStream(), s.getOutputStream(), pg.user(),
                        pg.database(), "wrong"))
                        .isInstanceOfSatisfying(PgWire.ServerError.class,
                                e -> assertThat(e.sqlState()).isEqualTo("28P01"));
            }
        }
        finally {
            pg.close();
        }
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.current().descendants()).doesNotContainAnyElementsOf(processes);
        assertThat(dir).doesNotExist();
    }

    @Test
    void cleartextPasswordAndAnIdleSessionTimeoutThatEndsIdleSessions() throws Exception {
        try (PostgresProcess pg = PostgresProcess.builder().password("clear-secret")
                .auth(PostgresProcess.Auth.PASSWORD).idleSessionTimeout(Duration.ofSeconds(1)).start();
                Socket s = new Socket(pg.host(), pg.port())) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            PgWire.Session session = PgWire.startup(in, s.getOutputStream(), pg.user(), pg.database(),
                    "clear-secret");
            assertThat(session.authMethod()).isEqualTo(PgWire.AuthMethod.CLEARTEXT_PASSWORD);
            long idleSince = System.nanoTime();
            // The server ends the idle session with a FATAL 57P05, then closes.
            assertThatThrownBy(() -> PgWire.expectError(in))
                    .isInstanceOfSatisfying(PgWire.ServerError.class, e -> {
                        assertThat(e.sqlState()).isEqualTo("57P05");
                        assertThat(e.severity()).isEqualTo("FATAL");
                    });
            assertThat(Await.millisSince(idleSince)).isBetween(800L, 9_000L);
            assertThatThrownBy(() -> PgWire.expectError(in)).isInstanceOf(EOFException.class);
        }
    }

    @Test
    void trustNeedsNoPassword() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start(); Socket s = pg.connect()) {
            assertThat(pg.auth()).isEqualTo(PostgresProcess.Auth.TRUST);
            assertThat(pg.password()).isNull();
            assertThat(PgWire.query(s.getInputStream(), s.getOutputStream(), "SELECT current_user").rows())
                    .containsExactly(List.of(pg.user()));
            PgWire.terminate(s.getOutputStream());
        }
    }
}
