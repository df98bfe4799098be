/**
 * Server-sent events, as vLLM's OpenAI-compatible server streams them (`stream: true`): `data: <json>` events separated
 * by a blank line, ending with `data: [DONE]` (WHATWG HTML "Server-sent events", the event stream format). Pure: bytes
 * arrive in arbitrary pieces (one read may hold several events, or half of one), so the parser keeps the unfinished tail.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];

  /** Feeds a piece of the stream; returns the data of every event it completed, in order. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      // A lone \r at the end may be the first half of \r\n: wait for the next piece.
      if (this.buffer[nl] === "\r" && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (this.data.length) events.push(this.data.join("\n"));
        this.data = [];
      } else if (line.startsWith("data:")) {
        this.data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      // Comments (`:` lines) and other fields (event, id, retry) carry nothing an OpenAI stream uses.
    }
    return events;
  }

  /** The last event when the stream ends without its closing blank line. */
  end(): string[] {
    const rest = this.push("\n\n");
    this.buffer = "";
    return rest;
  }
}
