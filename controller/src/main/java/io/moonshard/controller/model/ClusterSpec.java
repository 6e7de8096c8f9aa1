package io.moonshard.controller.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a user asked for: a name (undermoon's cluster-name rule: what SETCLUSTER accepts), a number of
 * shards (masters), replicas per master, and the password its clients authenticate with (null: none).
 */
public record ClusterSpec(String name, int shards, int replicas, String password) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,30}");

    public ClusterSpec {
        Objects.requireNonNull(name, "name");
        if (password != null && password.isEmpty()) {
            password = null; // as Redis's requirepass "": no password
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a cluster name is 1 to 30 of A-Z a-z 0-9 _ -: " + name);
        }
        if (shards < 1 || shards > 16384) {
            throw new IllegalArgumentException("shards must be 1 to 16384: " + shards);
        }
        if (replicas < 0 || replicas > 5) {
            throw new IllegalArgumentException("replicas per master must be 0 to 5: " + replicas);
        }
    }

    public ClusterSpec withShards(int newShards) {
        return new ClusterSpec(name, newShards, replicas, password);
    }
}
