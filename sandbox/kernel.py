# The workbench kernel: runs code cells in one persistent namespace. Protocol: JSON lines, requests from the host on
# stdin (fd 0), messages to the host on fd 3; the cell's print() output is captured apart from both.
import ast, io, json, os, queue, sys, threading, traceback, itertools

_proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
_proto_out = os.fdopen(3, "w", encoding="utf-8")
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
sys.stdin = open(os.devnull)
_write_lock = threading.Lock()
_ids = itertools.count(1)
_pending = {}
_pending_lock = threading.Lock()
_cells = queue.Queue()
_MAX_CAPTURE = 8 << 20


def _send(msg):
    line = json.dumps(msg, default=repr)
    with _write_lock:
        _proto_out.write(line + "\n")
        _proto_out.flush()


class _Capture(io.TextIOBase):
    """A thread-safe text sink for one cell's print() output, bounded in size."""

    def __init__(self):
        self._parts, self._size, self._dropped, self._lock = [], 0, 0, threading.Lock()

    def writable(self):
        return True

    def write(self, s):
        with self._lock:
            if self._size < _MAX_CAPTURE:
                self._parts.append(s)
                self._size += len(s)
            else:
                self._dropped += len(s)
        return len(s)

    def text(self):
        with self._lock:
            out = "".join(self._parts)
            if self._dropped:
                out += "\n[%d more characters were discarded]" % self._dropped
            return out


def _call(method, params):
    """Sends a call-back to the host and waits for its reply: (result, error)."""
    cid = "c%d" % next(_ids)
    ev = threading.Event()
    slot = {}
    with _pending_lock:
        _pending[cid] = (ev, slot)
    _send({"type": "call", "id": cid, "method": method, "params": params})
    ev.wait()
    return slot.get("result"), slot.get("error")


def run_composio_tool(tool_slug, arguments=None):
    """Runs a tool through the session (same filter and credentials as MULTI_EXECUTE). Returns (data, error)."""
    return _call("run_composio_tool", {"tool_slug": tool_slug, "arguments": arguments or {}})


def proxy_execute(method, endpoint, toolkit, body=None, params=None, headers=None):
    """Makes an authenticated HTTP request to the toolkit's own API host. Returns (data, error)."""
    return _call("proxy_execute", {"method": method, "endpoint": endpoint, "toolkit": toolkit,
                                   "body": body, "params": params, "headers": headers})


def invoke_llm(prompt):
    """Asks the client's model (MCP sampling). Returns the text; raises RuntimeError when the client cannot."""
    text, err = _call("invoke_llm", {"prompt": str(prompt)})
    if err:
        raise RuntimeError(err)
    return text


def upload_local_file(path):
    """Returns the host path of a file under /mnt/files, to hand to the user. Raises ValueError otherwise."""
    host, err = _call("upload_local_file", {"path": os.path.abspath(str(path))})
    if err:
        raise ValueError(err)
    return host


_globals = {"__name__": "__main__", "__builtins__": __builtins__, "run_composio_tool": run_composio_tool,
            "proxy_execute": proxy_execute, "invoke_llm": invoke_llm, "upload_local_file": upload_local_file}


def _run_cell(cid, code):
    out, err = _Capture(), _Capture()
    result, error = None, None
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        tree = ast.parse(code, "<cell>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell>", "exec"), _globals)
        if last is not None:
            value = eval(compile(last, "<cell>", "eval"), _globals)
            if value is not None:
                result = repr(value)
    except BaseException as e:  # the cell's failure is its result; SystemExit must not end the kernel
        tb = traceback.TracebackException.from_exception(e)
        frames = [f for f in tb.stack if f.filename != "<string>"]  # drop the kernel's own frames (python3 -c)
        tb.stack = traceback.StackSummary.from_list(frames)
        error = "".join(tb.format())
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = old
    _send({"type": "result", "id": cid, "stdout": out.text(), "result": result, "stderr": err.text(), "error": error})


def _reader():
    for line in _proto_in:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("type") == "reply":
            with _pending_lock:
                ev, slot = _pending.pop(msg.get("id"), (None, None))
            if ev is not None:
                slot["result"], slot["error"] = msg.get("result"), msg.get("error")
                ev.set()
        elif msg.get("type") == "exec":
            _cells.put(msg)
    os._exit(0)  # the host closed the pipe


threading.Thread(target=_reader, daemon=True).start()
_send({"type": "ready"})
while True:
    m = _cells.get()
    _run_cell(m.get("id"), m.get("code", ""))
