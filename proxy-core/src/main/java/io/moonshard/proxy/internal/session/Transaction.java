package io.moonshard.proxy.internal.session;

import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
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
    private final List<ByteBuf> queued = new ArrayList<>();
    /** An error while queueing (Redis's {@code CLIENT_DIRTY_EXEC}): EXEC answers EXECABORT. */
    private boolean dirty;
    /** The slot of the first keyed command, or -1 while none had keys. */
    private int slot = -1;
    /** Queued commands touch several slots: EXEC answers CROSSSLOT. */
    private boolean crossSlot;
    /** The queued CLIENT commands (retained): a CLIENT PAUSE among them is noted when EXEC runs it. */
    private final List<RespCommand> clientCommands = new ArrayList<>(0);
    /** A script is queued: a restricted user's EXEC then runs as that user's mirror ({@code ScriptUsers}). */
    private boolean hasScript;
    /** A queued command may write: under write_ack replica, EXEC's reply waits for a replica's confirmation. */
    private boolean hasWrite;

    /** Keys of the queued commands that may write: a slot migration copies them again after EXEC. */
    private final List<byte[]> writtenKeys = new ArrayList<>(0);

    /** A queued command may write {@code key}. */
    public void mayWrite(byte[] key) {
        writtenKeys.add(key);
    }

    /** Keys the queued commands may write. */
    public List<byte[]> writtenKeys() {
        return writtenKeys;
    }

    /** Queues one request frame; ownership of {@code frame} passes here. */
    public void queue(ByteBuf frame) {
        queued.add(frame);
    }

    /** A command was refused while queueing: EXEC will answer EXECABORT. */
    public void markDirty() {
        dirty = true;
    }

    public boolean isDirty() {
        return dirty;
    }

    /** A keyed command of {@code keySlot} was queued: the first sets the transaction's slot, another one makes it cross-slot. */
    public void keyedCommandIn(int keySlot) {
        if (slot < 0) {
            slot = keySlot;
        } else if (slot != keySlot) {
            crossSlot = true;
        }
    }

    /** The slot of the first keyed command, or -1 while none had keys. */
    public int slot() {
        return slot;
    }

    public boolean isCrossSlot() {
        return crossSlot;
    }

    /** A script (EVAL, FCALL, ...) was queued. */
    public void scriptQueued() {
        hasScript = true;
    }

    public boolean hasScript() {
        return hasScript;
    }

    /** A command that may write was queued (the route layer's {@code Writes} rule). */
    public void writeQueued() {
        hasWrite = true;
    }

    public boolean hasWrite() {
        return hasWrite;
    }

    /** Keeps a queued CLIENT command (the caller's reference passes here) to note a CLIENT PAUSE at EXEC. */
    public void clientCommandQueued(RespCommand command) {
        clientCommands.add(command);
    }

    /** The queued CLIENT commands, for EXEC to note a pause among them; still owned here. */
    public List<RespCommand> clientCommands() {
        return Collections.unmodifiableList(clientCommands);
    }

    public int queuedCount() {
        return queued.size();
    }

    /** EXEC: the queued frames, in order, and their ownership, to the caller; none stay queued here. */
    public List<ByteBuf> takeQueued() {
        List<ByteBuf> taken = new ArrayList<>(queued);
        queued.clear();
        return taken;
    }

    /** Drops everything queued (DISCARD, EXECABORT, the client left). */
    public void release() {
        for (ByteBuf frame : queued) {
            frame.release();
        }
        queued.clear();
        clientCommands.forEach(RespCommand::release);
        clientCommands.clear();
    }
}
