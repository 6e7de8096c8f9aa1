package io.moonshard.proxy.internal.route;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads one {@code SCAN} reply ({@code *2 $cursor *n $key...}, the same in RESP2 and RESP3) in
 * place: each key is handed over as a range of the frame, nothing is copied or decoded. Used by the
 * proxy's own walks over a backend's keyspace (CLUSTER COUNTKEYSINSLOT on a plain Redis, DBSIZE and
 * RANDOMKEY while slots are hidden).
 */
final class ScanPage {

    /** Sees one key of a page: {@code [at, at + length)} of {@code reply}, valid during the call only. */
    interface KeyVisitor {
        void key(ByteBuf reply, int at, int length);
    }

    private ScanPage() {
    }

    /**
     * Hands every key of the page to {@code visitor}, in order; returns the next cursor ("0" when the
     * walk is over), or null when {@code reply} is not a SCAN reply (an error), and then visits nothing.
     */
    static String forEachKey(ByteBuf reply, KeyVisitor visitor) {
        int[] pos = {reply.readerIndex()};
        String cursor;
        int count;
        int keysAt;
        try {
            if (!reply.isReadable() || readCount(reply, pos, '*') != 2) {
                return null;
            }
            int cursorLength = readCount(reply, pos, '$');
            cursor = reply.toString(pos[0], cursorLength, StandardCharsets.US_ASCII);
            pos[0] += cursorLength + 2;
            count = readCount(reply, pos, '*');
            keysAt = pos[0];
            // the whole page is checked before any key is visited: a visitor never sees half a page
            for (int i = 0; i < count; i++) {
                int length = readCount(reply, pos, '$'); // moves pos past the header
                pos[0] += length + 2;
            }
            if (pos[0] > reply.writerIndex()) {
                return null;
            }
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            return null;
        }
        pos[0] = keysAt;
        for (int i = 0; i < count; i++) {
            int length = readCount(reply, pos, '$');
            visitor.key(reply, pos[0], length);
            pos[0] += length + 2;
        }
        return cursor;
    }

    /** Reads {@code <type><n>\r\n} at pos, checks the type, advances pos past it, returns n (never negative). */
    private static int readCount(ByteBuf buf, int[] pos, char type) {
        int at = pos[0];
        if (buf.getByte(at) != type) {
            throw new NumberFormatException("type " + (char) buf.getByte(at));
        }
        long n = 0;
        int i = at + 1;
        byte b;
        while ((b = buf.getByte(i)) != '\r') {
            if (b < '0' || b > '9' || n > Integer.MAX_VALUE) {
                throw new NumberFormatException("length");
            }
            n = n * 10 + (b - '0');
            i++;
        }
        if (i == at + 1 || n > Integer.MAX_VALUE) {
            throw new NumberFormatException("length");
        }
        pos[0] = i + 2;
        return (int) n;
    }
}
