package io.moonshard.proxy.internal.migration;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of the moving slots that the source wrote (or may have written) since they were last
 * copied. Event loops add a command's keys when its reply arrives, that is once Redis executed it, so
 * a copy that starts after {@link #drain} returned a key reads that write or a later one. Each key is
 * held once however often it is written.
 */
final class DirtyKeys {

    private final Set<Key> keys = ConcurrentHashMap.newKeySet();

    void add(List<byte[]> written) {
        for (byte[] key : written) {
            keys.add(new Key(key));
        }
    }

    int size() {
        return keys.size();
    }

    /** Takes every key noted so far; keys written from now on are noted again. */
    List<byte[]> drain() {
        List<byte[]> out = new ArrayList<>(keys.size());
        Iterator<Key> it = keys.iterator();
        while (it.hasNext()) {
            out.add(it.next().bytes);
            it.remove();
        }
        return out;
    }

    void clear() {
        keys.clear();
    }

    /** A key's bytes with value equality. */
    private record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }
}
