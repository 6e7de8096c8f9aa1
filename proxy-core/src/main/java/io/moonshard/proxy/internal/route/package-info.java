/**
 * Carrying out where a data command goes: routing by its keys with the pure router of
 * cluster-protocol and sending it to the owning backend, or answering MOVED / ASK / CROSSSLOT
 * ({@link io.moonshard.proxy.internal.route.Forwarder}); fan-out over several local backends and the
 * merge of their replies ({@link io.moonshard.proxy.internal.route.MultiBackendCommands}); blocking
 * commands and scripts on a client's own connection; the commands refused outright
 * ({@link io.moonshard.proxy.internal.route.CommandPolicy}); what a slot move hides from clients
 * ({@link io.moonshard.proxy.internal.route.HiddenKeys}, with DBSIZE and RANDOMKEY around it). May use
 * {@code session} and the layers below it.
 */
package io.moonshard.proxy.internal.route;
