/**
 * The home of replication and failover: the engine that keeps each master's replica in step and
 * promotes it. The roles {@code UMCTL SETREPL} sets are metadata and live in {@code metadata}
 * ({@code ReplicationState}). It has no classes; the rule below says what a class placed here may use. May use {@code engine} and the layers below it;
 * the command layer (UMCTL) may use it.
 */
package io.moonshard.proxy.internal.replication;
