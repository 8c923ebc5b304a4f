/*
 * Client side of GenerateStream: applies token and backspace events in order, so that the ids and text
 * held equal the server's current state; after the finished event (plus its tail) they equal the final
 * result. Text edits count Unicode code points, as the proto says.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.BackspaceEvent;
import ai.seqmatch.grpc.v1.Finished;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.TokenEvent;
import java.util.ArrayList;
import java.util.List;

/** The state a stream's events build up. Not thread-safe. */
public final class StreamText {
  private final List<Long> ids = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private Finished finished;
  private int tokens;
  private int backspaces;

  /** Applies one event; throws IllegalStateException on an event that cannot follow the ones before. */
  public void apply(GenerateEvent e) {
    if (finished != null) {
      throw new IllegalStateException("stream: event after finished (got " + e.getEventCase() + ")");
    }
    switch (e.getEventCase()) {
      case TOKEN -> {
        TokenEvent t = e.getToken();
        deleteCodePoints(t.getDeleteChars());
        text.append(t.getText());
        ids.add(t.getId());
        tokens++;
      }
      case BACKSPACE -> {
        BackspaceEvent b = e.getBackspace();
        if (b.getCount() > ids.size()) {
          throw new IllegalStateException("stream: backspace of " + b.getCount() + " tokens, only " + ids.size()
              + " were sent");
        }
        for (int i = 0; i < b.getCount(); i++) {
          ids.remove(ids.size() - 1);
        }
        deleteCodePoints(b.getDeleteChars());
        backspaces += b.getCount();
      }
      case FINISHED -> {
        finished = e.getFinished();
        text.append(finished.getTail());
      }
      default -> throw new IllegalStateException("stream: unknown event (got " + e.getEventCase() + ")");
    }
  }

  private void deleteCodePoints(int n) {
    int end = text.length();
    int start = n == 0 ? end : text.offsetByCodePoints(end, -n);
    text.setLength(start);
  }

  public List<Long> ids() {
    return List.copyOf(ids);
  }

  public String text() {
    return text.toString();
  }

  /** The finished event, or null while the stream runs. */
  public Finished finished() {
    return finished;
  }

  /** Token events seen (including tokens later deleted). */
  public int tokenEvents() {
    return tokens;
  }

  /** Tokens deleted by backspace events. */
  public int backspaces() {
    return backspaces;
  }
}
