/**
 * Client connections: the reply FIFO, back-pressure and output limits of one client
 * ({@link io.moonshard.proxy.internal.session.ClientSession}), its per-client state
 * ({@link io.moonshard.proxy.internal.session.ClientState}: login, protocol, MULTI, WATCH, tracking,
 * subscriptions, blocking commands), admission ({@link io.moonshard.proxy.internal.session.ClientRegistry},
 * {@link io.moonshard.proxy.internal.session.QueryBuffers}) and a queued transaction.
 *
 * <p>Hands every command to a {@link io.moonshard.proxy.internal.session.CommandHandler} and gets the
 * proxy through a {@link io.moonshard.proxy.internal.session.SessionEnvironment}; it does not know the
 * commands. May use {@code backend} and the layers below it.
 */
package io.moonshard.proxy.internal.session;
