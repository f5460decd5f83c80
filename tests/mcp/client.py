"""A real MCP client (the `mcp` package from PyPI) driving `dwim mcp` over stdio.

Usage: python client.py DWIM_BINARY IMAGE_DIR IMAGE_NAME
Prints one JSON object per checked exchange; exits non-zero on the first unexpected reply.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(obj, snake, camel):
    """A result field by its name in the mcp package (snake_case from 2.0, camelCase before)."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


def reply_of(result):
    """dwim's reply: the structured content (else the text content as JSON)."""
    structured = field(result, "structured_content", "structuredContent")
    return structured if structured is not None else json.loads(result.content[0].text)


def is_error(result):
    return bool(field(result, "is_error", "isError"))


async def main(binary, root, image):
    params = StdioServerParameters(command=binary, args=["mcp", "--root", root, "--tools", "benchmark", "--no-default-native"], env={"DWIM_MODELS": "/nonexistent"})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert field(init, "server_info", "serverInfo").name == "dwim", init
            listed = await session.list_tools()
            names = sorted(t.name for t in listed.tools)
            print(json.dumps({"tools": names}))
            assert names == sorted(["dwim_tools", "open_session", "step", "check", "trace", "close_session", "run_program"]), names

            t = reply_of(await session.call_tool("dwim_tools", {}))
            assert t["ok"] and any(s["name"] == "detect" for s in t["tools"]) and "detect" in t["prompt"], t
            print(json.dumps({"dwim_tools": len(t["tools"])}))

            opened = await session.call_tool("open_session", {"image": {"path": image}})
            o = reply_of(opened)
            assert not is_error(opened) and o["ok"] and o["inputs"] == ["image"], o
            sid = o["session"]

            r = await session.call_tool("step", {"session": sid, "text": "objs = detect(image, \"red circle\")"})
            s = reply_of(r)
            assert not is_error(r) and s["ok"] and s["records"][0]["tool"] == "detect", s
            print(json.dumps({"step": s["records"][0]["observation"]}))

            # A rejected step: a coded diagnostic with its place, and the session goes on.
            r = await session.call_tool("step", {"session": sid, "text": "n = len(objs"})
            bad = reply_of(r)
            assert is_error(r) and not bad["ok"] and bad["diagnostics"][0]["code"].startswith("E0"), bad
            print(json.dumps({"rejected": bad["diagnostics"][0]["code"]}))

            r = await session.call_tool("check", {"session": sid, "text": "answer len(nope)"})
            c = reply_of(r)
            assert is_error(r) and c["diagnostics"][0]["code"] == "E107" and c["diagnostics"][0]["line"] == 1, c

            r = await session.call_tool("step", {"session": sid, "text": "answer len(objs)"})
            a = reply_of(r)
            assert not is_error(r) and a["ok"] and isinstance(a["answer"], (int, float)), a
            print(json.dumps({"answer": a["answer"]}))

            tr = reply_of(await session.call_tool("trace", {"session": sid}))
            assert tr["ok"] and len(tr["records"]) == 3, tr

            # A hostile program ends in its limit code; the server stays alive.
            r = await session.call_tool("run_program", {"image": {"path": image}, "text": "answer " + "(" * 100000 + "1" + ")" * 100000})
            h = reply_of(r)
            assert is_error(r) and h["diagnostics"][0]["code"].startswith("E3"), h
            print(json.dumps({"hostile": h["diagnostics"][0]["code"]}))

            # A path outside the root is refused.
            r = await session.call_tool("open_session", {"image": {"path": "../../etc/passwd"}})
            e = reply_of(r)
            assert is_error(r) and e["diagnostics"][0]["code"] in ("E505", "E501"), e
            print(json.dumps({"outside_root": e["diagnostics"][0]["code"]}))

            r = await session.call_tool("close_session", {"session": sid})
            assert not is_error(r)
            r = await session.call_tool("step", {"session": sid, "text": "answer 1"})
            assert is_error(r) and reply_of(r)["diagnostics"][0]["code"] == "E507"

            r = await session.call_tool("run_program", {"image": {"path": image}, "text": "answer len(detect(image, \"circle\"))"})
            p = reply_of(r)
            assert not is_error(r) and p["ok"] and isinstance(p["answer"], (int, float)), p
            print(json.dumps({"run_program": p["answer"]}))
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
