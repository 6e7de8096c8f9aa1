package io.moonshard.proxy.internal.migration;

import java.util.concurrent.locks.LockSupport;

/**
 * What both sides of one migration are: a task on its own thread, named by its {@link MigrationTaskId},
 * with its progress and the engine's request to stop. The states live in the two subclasses,
 * {@link SlotMigration} (source) and {@link SlotImport} (destination).
 */
abstract class MigrationTask implements Runnable {

    /** Why the task is asked to end: the SETCLUSTER that dropped its tag, or the proxy shutting down. */
    enum Stop { NONE, COMMITTED, CANCELLED, SHUTDOWN }

    final MigrationTaskId id;
    final MigrationEngine engine;
    final MigrationSettings settings;
    final Progress progress = new Progress();
    volatile Stop stop = Stop.NONE;
    private volatile Thread thread;

    MigrationTask(MigrationTaskId id, MigrationEngine engine, MigrationSettings settings) {
        this.id = id;
        this.engine = engine;
        this.settings = settings;
    }

    MigrationTaskId id() {
        return id;
    }

    Progress progress() {
        return progress;
    }

    /** Starts the task's thread, named {@code <prefix><slots>}. */
    final void start(String threadPrefix) {
        Thread t = new Thread(this, threadPrefix + id.slots());
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** The SETCLUSTER that ended the task (commit or cancel), or shutdown; wakes the task if it waits. */
    final void requestStop(Stop why) {
        stop = why;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
