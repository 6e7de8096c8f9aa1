package io.moonshard.proxy.internal.session;

import io.moonshard.resp.RespCommand;

/**
 * Where a client session hands each decoded command, in arrival order, with the reply slot it reserved
 * for it. The command layer's dispatcher implements it; a session knows nothing of what runs it.
 */
@FunctionalInterface
public interface CommandHandler {

    /** Handles one command. The caller keeps ownership of {@code command} and releases it after this returns. */
    void dispatch(ClientSession session, ReplySlot slot, RespCommand command);
}
