package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.internal.route.ScriptUsers;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * One client's MULTI in progress: the commands queued so far (retained request frames) and what
 * Redis Cluster's rules say about them. All keyed commands must hash to one slot; the transaction
 * runs as {@code MULTI ... EXEC} on that slot's backend when the client sends EXEC.
 *
 * <p>Confined to the client's event loop.
 */
public final class Transaction {

    /** Request frames in order; owned here until sent or released. */
    public final List<ByteBuf> queued = new ArrayList<>();
    /** An error while queueing (Redis's {@code CLIENT_DIRTY_EXEC}): EXEC answers EXECABORT. */
    public boolean dirty;
    /** The slot of the first keyed command, or -1 while none had keys. */
    public int slot = -1;
    /** Queued commands touch several slots: EXEC answers CROSSSLOT. */
    public boolean crossSlot;
    /** The queued CLIENT commands (retained): a CLIENT PAUSE among them is noted when EXEC runs it. */
    public final List<io.moonshard.resp.RespCommand> clientCommands = new ArrayList<>(0);

    /** A script is queued: a restricted user's EXEC then runs as that user's mirror ({@link ScriptUsers}). */
    public boolean hasScript;

    public void queue(ByteBuf frame) {
        queued.add(frame);
    }

    /** Drops everything queued (DISCARD, EXECABORT, the client left). */
    public void release() {
        for (ByteBuf frame : queued) {
            frame.release();
        }
        queued.clear();
        clientCommands.forEach(io.moonshard.resp.RespCommand::release);
        clientCommands.clear();
    }
}
