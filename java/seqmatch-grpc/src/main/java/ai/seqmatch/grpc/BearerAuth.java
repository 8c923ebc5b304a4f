/*
 * Bearer-token authentication: a ServerInterceptor that requires `authorization: Bearer <token>` (token
 * compared in constant time) and answers UNAUTHENTICATED otherwise, and the client-side CallCredentials
 * that send it. The token comes from a file (first line, trimmed), so it never shows up in `ps` output.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.InvalidInputException;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.Executor;

public final class BearerAuth {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PREFIX = "Bearer ";

  private BearerAuth() {}

  /** The token in {@code file}: its first line, trimmed; an empty or unreadable file is bad input. */
  public static String readToken(Path file) {
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      throw new InvalidInputException("auth token file " + file + ": cannot read it (" + e.getMessage() + ")");
    }
    if (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new InvalidInputException("auth token file " + file + ": the first line must be a non-empty token "
          + "of printable ASCII without spaces. Hint: e.g. openssl rand -hex 32 > " + file);
    }
    return token;
  }

  /** Rejects calls without {@code authorization: Bearer <token>}. */
  public static ServerInterceptor serverInterceptor(String token) {
    byte[] expected = (PREFIX + token).getBytes(StandardCharsets.US_ASCII);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String got = headers.get(AUTHORIZATION);
        if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.US_ASCII))) {
          call.close(Status.UNAUTHENTICATED.withDescription(got == null
              ? "missing authorization metadata. Hint: send 'authorization: Bearer <token>'"
              : "invalid bearer token"), new Metadata());
          return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Sends {@code authorization: Bearer <token>} with every call. */
  public static CallCredentials callCredentials(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, PREFIX + token);
        applier.apply(m);
      }
    };
  }
}
