package io.moonshard.cluster.command;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One Redis key specification: where the search for keys begins, how keys are found from there, and
 * how they are accessed. See
 * <a href="https://redis.io/docs/latest/develop/reference/key-specs/">Key specifications</a>; the
 * semantics are those of {@code getKeysUsingKeySpecs} in Redis 7.0 {@code db.c}. Immutable.
 *
 * @param flags       access flags, unmodifiable
 * @param beginSearch where the search starts
 * @param findKeys    how keys are found from the start
 */
public record KeySpec(Set<KeyFlag> flags, BeginSearch beginSearch, FindKeys findKeys) {

    public KeySpec {
        flags = flags.isEmpty() ? Collections.emptySet() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
        Objects.requireNonNull(beginSearch, "beginSearch");
        Objects.requireNonNull(findKeys, "findKeys");
    }

    /** Whether this spec carries {@code flag}. */
    public boolean has(KeyFlag flag) {
        return flags.contains(flag);
    }

    /** Where the key search begins. */
    public sealed interface BeginSearch permits Index, Keyword, Unknown {
    }

    /** How keys are found once the search has begun. */
    public sealed interface FindKeys permits Range, KeyNum, Unknown {
    }

    /**
     * The search begins at a fixed argument index.
     *
     * @param position argument index, the command name being 0
     */
    public record Index(int position) implements BeginSearch {
    }

    /**
     * The search begins right after a keyword (matched ignoring ASCII case).
     *
     * @param keyword   the keyword, e.g. {@code STREAMS}
     * @param startFrom where to start looking: a positive index searches forward from there; a
     *                  negative one counts from the end ({@code -1} is the last argument) and
     *                  searches backward
     */
    public record Keyword(String keyword, int startFrom) implements BeginSearch {
        public Keyword {
            Objects.requireNonNull(keyword, "keyword");
        }
    }

    /**
     * Keys run from the start to {@code lastKey}.
     *
     * @param lastKey index of the last key relative to the first one; negative counts from the end of
     *                the arguments ({@code -1} is the last argument)
     * @param keyStep distance between keys (2 for key/value pairs)
     * @param limit   when {@code lastKey} is {@code -1}: only {@code 1/limit} of the remaining
     *                arguments are keys ({@code 2} for XREAD's {@code STREAMS k1 k2 id1 id2}); 0 = all
     */
    public record Range(int lastKey, int keyStep, int limit) implements FindKeys {
    }

    /**
     * An argument tells how many keys follow.
     *
     * @param keyNumIndex index of the count, relative to the start
     * @param firstKey    index of the first key, relative to the start
     * @param keyStep     distance between keys
     */
    public record KeyNum(int keyNumIndex, int firstKey, int keyStep) implements FindKeys {
    }

    /** The command finds its keys itself (Redis falls back to the command's own key finder). */
    public record Unknown() implements BeginSearch, FindKeys {
    }
}
