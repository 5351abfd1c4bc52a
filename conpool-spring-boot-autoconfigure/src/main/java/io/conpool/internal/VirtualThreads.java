package io.conpool.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The Java 21+ virtual-thread API the core uses ({@code Thread.isVirtual()}, {@code Thread.startVirtualThread}),
 * reached through method handles so that the core still compiles and runs on Java 17 (where every thread is a
 * platform thread and none can be started virtual).
 */
final class VirtualThreads {

    private static final MethodHandle IS_VIRTUAL = lookup("isVirtual", MethodType.methodType(boolean.class), false);

    private static final MethodHandle START = lookup("startVirtualThread",
            MethodType.methodType(Thread.class, Runnable.class), true);

    private VirtualThreads() {
    }

    static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        }
        catch (Throwable ex) {
            return false;
        }
    }

    /** Whether {@link #start} can start virtual threads (Java 21+). */
    static boolean canStart() {
        return START != null;
    }

    /**
     * Starts {@code task} on a new virtual thread.
     *
     * @throws UnsupportedOperationException before Java 21 (check {@link #canStart()})
     */
    static Thread start(Runnable task) {
        if (START == null) {
            throw new UnsupportedOperationException("virtual threads need Java 21+");
        }
        try {
            return (Thread) START.invokeExact(task);
        }
        catch (RuntimeException | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new IllegalStateException(ex); // startVirtualThread declares no checked exception
        }
    }

    private static MethodHandle lookup(String name, MethodType type, boolean isStatic) {
        try {
            return isStatic ? MethodHandles.publicLookup().findStatic(Thread.class, name, type)
                    : MethodHandles.publicLookup().findVirtual(Thread.class, name, type);
        }
        catch (ReflectiveOperationException ex) {
            return null; // Java 17-20: no virtual threads
        }
    }
}
