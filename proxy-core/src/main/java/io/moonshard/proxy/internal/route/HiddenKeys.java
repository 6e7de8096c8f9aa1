package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.slot.SlotHash;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * The keys this proxy's clients must not see while slots move: keys of a slot served elsewhere
 * (copies staged at a destination, moved keys not yet trimmed at the source) and the migration's own
 * bookkeeping keys ({@code moonshard:migration:}, {@code moonshard:staging:}). {@link #filter} takes
 * them out of a SCAN or KEYS reply (a reply of another shape, an error, is returned as it is);
 * {@link #isHidden} is the test DBSIZE, RANDOMKEY and CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT apply.
 */
final class HiddenKeys {

    private static final byte[] OWN_MIGRATION = "moonshard:migration:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OWN_STAGING = "moonshard:staging:".getBytes(StandardCharsets.US_ASCII);

    private HiddenKeys() {
    }

    /** @param scan a SCAN reply ({@code [cursor, [keys]]}) rather than a KEYS reply ({@code [keys]}) */
    static ByteBuf filter(ByteBuf reply, MigrationGate.Table table, boolean scan, ByteBufAllocator alloc) {
        int at = reply.readerIndex();
        if (!reply.isReadable() || reply.getByte(at) != '*') {
            return reply;
        }
        int[] pos = {at};
        ByteBuf out = alloc.buffer(reply.readableBytes());
        try {
            if (scan) {
                if (readCount(reply, pos, '*') != 2) {
                    out.release();
                    return reply;
                }
                int cursorStart = pos[0];
                int cursorLength = readCount(reply, pos, '$');
                pos[0] += cursorLength + 2;
                out.writeBytes("*2\r\n".getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(reply, cursorStart, pos[0] - cursorStart);
            }
            int count = readCount(reply, pos, '*');
            int[] starts = new int[count];
            int[] lengths = new int[count];
            int kept = 0;
            for (int i = 0; i < count; i++) {
                int start = pos[0];
                int length = readCount(reply, pos, '$');
                int keyAt = pos[0];
                pos[0] += length + 2;
                if (!isHidden(reply, keyAt, length, table)) {
                    starts[kept] = start;
                    lengths[kept] = pos[0] - start;
                    kept++;
                }
            }
            if (kept == count) {
                out.release();
                return reply;
            }
            out.writeBytes(("*" + kept + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < kept; i++) {
                out.writeBytes(reply, starts[i], lengths[i]);
            }
            reply.release();
            return out;
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            out.release();
            return reply; // not the shape expected: leave it to the client
        }
    }

    /** Whether the key at {@code [at, at + length)} of {@code buf} is hidden from clients under {@code table}. */
    static boolean isHidden(ByteBuf buf, int at, int length, MigrationGate.Table table) {
        return isBookkeeping(buf, at, length) || (table.hidesAny() && table.hides(SlotHash.slot(buf, at, length)));
    }

    /** Whether the key is one the migration writes for itself (its registers, chunked copies being staged). */
    static boolean isBookkeeping(ByteBuf buf, int at, int length) {
        return startsWith(buf, at, length, OWN_MIGRATION) || startsWith(buf, at, length, OWN_STAGING);
    }

    private static boolean startsWith(ByteBuf buf, int at, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads {@code <type><n>\r\n} at pos, checks the type, advances pos past it, returns n. */
    private static int readCount(ByteBuf buf, int[] pos, char type) {
        int at = pos[0];
        if (buf.getByte(at) != type) {
            throw new NumberFormatException("type " + (char) buf.getByte(at));
        }
        int n = 0;
        int i = at + 1;
        boolean negative = buf.getByte(i) == '-';
        if (negative) {
            i++;
        }
        byte b;
        while ((b = buf.getByte(i)) != '\r') {
            n = n * 10 + (b - '0');
            i++;
        }
        pos[0] = i + 2;
        return negative ? -n : n;
    }
}
