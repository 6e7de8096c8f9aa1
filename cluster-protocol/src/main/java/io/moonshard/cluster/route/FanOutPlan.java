package io.moonshard.cluster.route;

import io.moonshard.cluster.command.FanOut;
import java.util.List;
import java.util.Map;

/**
 * How to split one multi-key command whose keys span several local slots: for each local backend,
 * the argument indexes of the keys it serves (for MSET, each key's value follows it), in argument
 * order; and how the parts' replies merge ({@link FanOut}).
 */
public record FanOutPlan(FanOut merge, Map<String, List<Integer>> keysByBackend) {

    public FanOutPlan {
        keysByBackend = Map.copyOf(keysByBackend);
    }
}
