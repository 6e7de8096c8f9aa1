package io.moonshard.controller.election;

import java.util.Objects;

/**
 * A controller that may lead: its id (unique in the pool of controllers) and the HTTP address its API
 * answers on, which standbys and the CLI use to reach the leader. Stored as the leader key's JSON value.
 */
public record Candidate(String id, String address) {

    public Candidate {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("a candidate needs an id");
        }
        address = address == null ? "" : address;
    }
}
