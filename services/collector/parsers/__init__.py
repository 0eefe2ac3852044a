"""Pure parsers: the text (or JSON) a device printed in, `Reading`s out.

One module per platform (`cisco_ios`, `cisco_nxos`, `arista_eos`, `juniper_junos`, and
`*_json` for structured output), each with a `COMMANDS` / `JSON_COMMANDS` table of
`CommandSpec`s; `registry` gathers them per `Platform`. Shared pieces: `common` (output
normalisation, numbers, durations, result type), `readings` (metric names, attributes,
state codes), `textfsm_util` (ntc-templates runner). `linux_proc` serves the Linux driver.

How a parser reports trouble (network-device parsers):

- Every parser first normalises its input (`common.normalise_output`): CR/CRLF, ANSI
  escapes, backspace overstrikes, pager prompts, the echoed command and a trailing prompt.
- Output made of repeated blocks (interfaces, sensors, BGP peers, routing engines) is
  parsed block by block. A block that cannot be read is skipped and described in
  `ParseResult.problems`; the readings of every other block are still returned.
  `ParseResult` is a `list[Reading]`, so it satisfies the `Parser` type unchanged; the
  poller should publish one collection error per problem (naming device and command).
- `ParseError` is raised only when nothing at all could be read: the device answered
  with an error ("% Invalid input"), the output has none of the expected lines, or every
  block failed (its message then lists each block's reason).
- Output that is valid but empty (no BGP neighbours, "no power supplies connected")
  returns an empty list, not an error.
"""
