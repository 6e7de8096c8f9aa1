package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;

/**
 * A command the proxy answers itself instead of forwarding it by its keys. Its reply goes into
 * {@code slot}, now or later (from a backend's reply), exactly once. A new one is a class (or a method)
 * of this shape and one line in {@link LocalCommands}.
 */
@FunctionalInterface
interface LocalCommand {

    /** The caller keeps ownership of {@code command} and releases it after this returns. */
    void handle(ClientSession session, ReplySlot slot, RespCommand command);
}
