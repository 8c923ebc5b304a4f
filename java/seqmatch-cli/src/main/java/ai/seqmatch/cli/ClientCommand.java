/*
 * `seqmatch client`: calls a `seqmatch serve` server. Unary by default (prints the final text, or ids
 * without a tokenizer); --stream prints edits as they arrive (a backspace erases with \b \b on a terminal,
 * ⌫ per deleted character otherwise) and applies them to reproduce the final text; --json prints one
 * object with the result (and, with --stream, the event counts).
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.grpc.BearerAuth;
import ai.seqmatch.grpc.NettyTransport;
import ai.seqmatch.grpc.SeqMatchClient;
import ai.seqmatch.grpc.StreamText;
import ai.seqmatch.grpc.v1.Finished;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.grpc.v1.Usage;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "client", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Generate through a 'seqmatch serve' server.",
        "--stream applies token and backspace events as they arrive; --json prints one object."})
final class ClientCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--target", required = true, paramLabel = "HOST:PORT", description = "Server address.")
  String target;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (the server needs a tokenizer).")
  String prompt;

  @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Prompt token ids, e.g. 1,2,3.")
  String promptIds;

  @Option(names = "--max-new-tokens", defaultValue = "0", description = "0 = the server default.")
  int maxNewTokens;

  @Option(names = "--max-actions", defaultValue = "0", description = "0 = 4 x max new tokens.")
  int maxActions;

  @Option(names = "--greedy", description = "Argmax decoding.")
  boolean greedy;

  @Option(names = "--temperature", description = "Sampling temperature (default 1).")
  Double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "0 = off.")
  int topK;

  @Option(names = "--top-p", description = "Nucleus mass in (0, 1] (default 1 = off).")
  Double topP;

  @Option(names = "--seed", description = "Sampling seed (default: chosen by the server, reported back).")
  Long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "Stop sequence (repeatable).")
  List<String> stops = new ArrayList<>();

  @Option(names = "--no-backspace", description = "Never choose <bkspc>.")
  boolean noBackspace;

  @Option(names = "--no-retype", description = "Sampling: never retype a token deleted at the same state (the "
      + "no-retype rule; --greedy always applies it). Off by default so that samples are the model's policy.")
  boolean noRetype;

  @Option(names = "--commit-only", description = "With --stream: only receive tokens that can no longer be deleted.")
  boolean commitOnly;

  @Option(names = "--stream", description = "Use GenerateStream and print edits as they arrive.")
  boolean stream;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Option(names = "--timeout", defaultValue = "120", description = "Deadline in seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--auth-token-file", paramLabel = "FILE", description = "Send 'authorization: Bearer <token>'.")
  Path authTokenFile;

  @Option(names = "--tls-ca", paramLabel = "FILE", description = "Use TLS, trusting this PEM CA / certificate.")
  Path tlsCa;

  private static final Pattern IDS = Pattern.compile("\\s*\\d+(\\s*,\\s*\\d+)*\\s*");

  @Override
  public Integer call() throws Exception {
    GenerateRequest request = request();
    ManagedChannel channel = NettyTransport.channel(target, tlsCa);
    try {
      SeqMatchClient client = new SeqMatchClient(channel,
          authTokenFile == null ? null : BearerAuth.callCredentials(BearerAuth.readToken(authTokenFile)));
      Duration timeout = Duration.ofSeconds(timeoutSeconds);
      PrintWriter out = spec.commandLine().getOut();
      if (stream) {
        EditPrinter printer = new EditPrinter(out, !json && System.console() != null);
        StreamText s = client.stream(request, timeout, json ? null : printer::print);
        Finished f = s.finished();
        if (json) {
          ObjectNode n = usage(f.getReason().name(), f.getUsage());
          n.put("text", s.text());
          n.set("generated_ids", new ObjectMapper().valueToTree(s.ids()));
          n.put("token_events", s.tokenEvents());
          n.put("applied_equals_final", s.text().equals(f.getText()) && s.ids().equals(f.getGeneratedIdsList()));
          out.println(n);
        } else {
          out.println();
          out.println("-- " + summary(f.getReason().name(), f.getUsage()));
        }
      } else {
        GenerateResponse r = client.generate(request, timeout);
        if (json) {
          ObjectNode n = usage(r.getReason().name(), r.getUsage());
          n.put("text", r.getText());
          n.set("generated_ids", new ObjectMapper().valueToTree(r.getGeneratedIdsList()));
          n.set("actions", new ObjectMapper().valueToTree(r.getActionsList()));
          out.println(n);
        } else {
          out.println(r.getText().isEmpty() ? "ids: " + r.getGeneratedIdsList() : r.getText());
          out.println("-- " + summary(r.getReason().name(), r.getUsage()));
        }
      }
      out.flush();
      return 0;
    } catch (StatusRuntimeException e) {
      String m = e.getStatus().getCode() + ": " + e.getStatus().getDescription();
      if (e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT) {
        throw new InvalidInputException(m); // the request is the user's to fix: exit 2
      }
      throw new IllegalStateException(m, e);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private GenerateRequest request() {
    List<String> problems = new ArrayList<>();
    GenerateRequest.Builder b = GenerateRequest.newBuilder();
    if ((prompt == null) == (promptIds == null)) {
      problems.add("give --prompt TEXT or --prompt-ids IDS (got " + (prompt == null ? "neither" : "both") + ")");
    } else if (prompt != null) {
      b.setText(prompt);
    } else if (IDS.matcher(promptIds).matches()) {
      List<Long> ids = new ArrayList<>();
      for (String id : promptIds.split(",")) {
        try {
          ids.add(Long.parseLong(id.strip()));
        } catch (NumberFormatException e) { // digits only, so: too large for a token id
          problems.add("--prompt-ids[" + ids.size() + "] is not a token id (got " + id.strip() + ")");
          break;
        }
      }
      b.setTokenIds(TokenIds.newBuilder().addAllIds(ids));
    } else {
      problems.add("--prompt-ids must be comma-separated token ids (got \"" + promptIds + "\")");
    }
    if (commitOnly && !stream) {
      problems.add("--commit-only needs --stream");
    }
    if (timeoutSeconds <= 0) {
      problems.add("--timeout must be > 0 (got " + timeoutSeconds + ")");
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    b.setMaxNewTokens(maxNewTokens).setMaxActions(maxActions).setGreedy(greedy).setTopK(topK)
        .addAllStopSequences(stops).setAllowBackspace(!noBackspace).setCommitOnly(commitOnly)
        .setNoRetype(noRetype);
    if (temperature != null) {
      b.setTemperature(temperature);
    }
    if (topP != null) {
      b.setTopP(topP);
    }
    if (seed != null) {
      b.setSeed(seed);
    }
    return b.build();
  }

  private static ObjectNode usage(String reason, Usage u) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("finish_reason", reason.replaceFirst("^FINISH_REASON_", "").toLowerCase(java.util.Locale.ROOT));
    n.put("prompt_tokens", u.getPromptTokens());
    n.put("generated_tokens", u.getGeneratedTokens());
    n.put("backspaces", u.getBackspaces());
    n.put("actions", u.getActions());
    n.put("seed", Long.toUnsignedString(u.getSeed()));
    n.put("time_to_first_action_us", u.getTimeToFirstActionUs());
    n.put("total_time_us", u.getTotalTimeUs());
    return n;
  }

  private static String summary(String reason, Usage u) {
    return reason.replaceFirst("^FINISH_REASON_", "").toLowerCase(java.util.Locale.ROOT) + ", "
        + u.getGeneratedTokens() + " new tokens, " + u.getBackspaces() + " backspaces, " + u.getActions()
        + " actions, seed " + Long.toUnsignedString(u.getSeed());
  }

  /** Prints each edit: deletions as \b \b on a terminal, one ⌫ per deleted character otherwise. */
  private record EditPrinter(PrintWriter out, boolean erase) {
    void print(GenerateEvent e) {
      int delete = e.hasToken() ? e.getToken().getDeleteChars() : e.hasBackspace() ? e.getBackspace().getDeleteChars() : 0;
      String text = e.hasToken() ? e.getToken().getText() : e.hasFinished() ? e.getFinished().getTail() : "";
      out.print((erase ? "\b \b" : "\u232b").repeat(delete) + text);
      out.flush();
    }
  }
}
