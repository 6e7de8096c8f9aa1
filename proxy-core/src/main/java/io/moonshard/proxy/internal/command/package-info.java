/**
 * What happens to each client command: the dispatcher
 * ({@link io.moonshard.proxy.internal.command.CommandDispatcher}: UMCTL, table lookup and Redis's
 * errors, AUTH and ACL, MULTI queueing, local commands, refusals, then routing), the proxy-local
 * commands (one {@link io.moonshard.proxy.internal.command.LocalCommand} each, registered in
 * {@link io.moonshard.proxy.internal.command.LocalCommands}: connection and CLIENT, CLUSTER, CONFIG,
 * INFO, SLOWLOG, ACL, pub/sub, transactions, tracking, UMCTL), and what they share
 * ({@link io.moonshard.proxy.internal.command.ProxyContext}, which also implements the narrower views
 * the layers below are given). May use every layer but {@code runtime}.
 */
package io.moonshard.proxy.internal.command;
