/**
 * Online slot migration: the engine that moves a slot's keys between proxies and decides, per slot,
 * when it changes hands.
 * <ul>
 *   <li>{@link io.moonshard.proxy.internal.migration.MigrationEngine}: starts and ends tasks from the
 *       {@code MIGRATING}/{@code IMPORTING} tags of each snapshot, keeps the gate's table, answers the
 *       handshake's peer commands, INFOMGR.</li>
 *   <li>{@link io.moonshard.proxy.internal.migration.SlotMigration} (source) and
 *       {@link io.moonshard.proxy.internal.migration.SlotImport} (destination): one task each, written
 *       as states; where a slot's move is decided.</li>
 *   <li>{@link io.moonshard.proxy.internal.migration.KeyCopier},
 *       {@link io.moonshard.proxy.internal.migration.SlotKeyScanner},
 *       {@link io.moonshard.proxy.internal.engine.RedisLink}: the data path, blocking, on each task's
 *       own thread, never on an event loop.</li>
 * </ul>
 * Gets the proxy through the {@code engine} layer's {@code EngineHost} only, and tells the forwarder
 * about moving slots through {@code route.MigrationGate}. May use {@code engine} and the layers below
 * it; the command layer (UMCTL) may use it.
 */
package io.moonshard.proxy.internal.migration;
