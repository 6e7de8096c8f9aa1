package io.moonshard.proxy.internal.route;

import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * {@code DBSIZE} while some slots' keys are hidden here (staged copies at a destination, moved keys
 * not yet trimmed at a source): the sum over the local backends of the keys clients see, each counted
 * by a {@link VisibleKeyCount}, all backends at once. Any backend's error makes the reply that error
 * (the first in backend order), as for a DBSIZE sent to every backend. With nothing hidden, DBSIZE
 * is not handled here: it goes to the backends as it came (O(1)).
 */
final class VisibleDbSize {

    private final ClientSession session;
    private final ReplySlot slot;
    private final long[] counts;
    private final ByteBuf[] errors;
    private int remaining;

    private VisibleDbSize(ClientSession session, ReplySlot slot, int backends) {
        this.session = session;
        this.slot = slot;
        this.counts = new long[backends];
        this.errors = new ByteBuf[backends];
        this.remaining = backends;
    }

    static void reply(ClientSession session, ReplySlot slot, List<String> backends, MigrationGate.Table table) {
        VisibleDbSize size = new VisibleDbSize(session, slot, backends.size());
        for (int i = 0; i < backends.size(); i++) {
            int part = i;
            VisibleKeyCount.start(Forwarder.requestConnection(session, backends.get(i)), table, new VisibleKeyCount.Done() {
                @Override
                public void counted(long visible) {
                    size.counts[part] = visible;
                    size.partDone();
                }

                @Override
                public void failed(ByteBuf error) {
                    size.errors[part] = error;
                    size.partDone();
                }
            });
        }
    }

    private void partDone() {
        if (--remaining > 0) {
            return;
        }
        ByteBuf error = null;
        long sum = 0;
        for (int i = 0; i < counts.length; i++) {
            if (errors[i] == null) {
                sum += counts[i];
            } else if (error == null) {
                error = errors[i];
            } else {
                errors[i].release();
            }
        }
        slot.complete(error != null ? error : Replies.integer(session.channel().alloc(), sum));
    }
}
