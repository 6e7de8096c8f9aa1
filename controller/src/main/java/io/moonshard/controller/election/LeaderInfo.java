package io.moonshard.controller.election;

/** Who leads, as read from the store, and the fencing token of its term (the key's createRevision). */
public record LeaderInfo(Candidate candidate, long token) {
}
