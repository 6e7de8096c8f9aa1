package io.moonshard.resp;

import io.netty.handler.codec.DecoderException;

/** Malformed RESP from a server (a backend): the stream cannot be trusted past this point. */
public final class RespCodecException extends DecoderException {

    private static final long serialVersionUID = 1L;

    public RespCodecException(String message) {
        super(message);
    }
}
