using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>
/// Tricky cases, each compared with what the InfluxDB v2 line protocol reference
/// (docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/) says, and where InfluxDB's own Go decoder
/// (github.com/influxdata/line-protocol, lineprotocol/decoder.go) behaves otherwise, which way we went.
/// </summary>
public sealed class DocumentedBehaviourTests
{
    private static LineProtocolParseResult Parse(string body) => LineProtocolParser.ParseAll(body, defaultTimestamp: 42);

    [Fact]
    public void Double_backslash_in_a_tag_value_stays_two_backslashes()
    {
        // Docs: tag values escape "Comma, Equals Sign, Space"; the "Escaping backslashes" table (\\ -> \) is not
        // tied to an element. The Go decoder's tag escapes are ",= " only, so \\ stays \\ there: we do the same,
        // and only string field values (whose escapes are "Double quote, Backslash") turn \\ into \.
        var line = Assert.Single(Parse("m,path=C:\\\\share f=\"C:\\\\share\"").Lines);
        Assert.Equal("C:\\\\share", line.Tags[0].Value);
        Assert.Equal("C:\\share", line.Fields[0].Value);
    }

    [Fact]
    public void Backslash_before_a_non_escapable_character_is_literal_and_does_not_swallow_it()
    {
        // "You do not need to escape other special characters": \d is a backslash and a d. A backslash before a
        // backslash is literal too, so in \\, the second backslash escapes the comma (as in the Go decoder).
        var result = Parse("m,t=a\\d f=1\nm,t=a\\\\,b f=1");
        Assert.Equal("a\\d", result.Lines[0].Tags[0].Value);
        Assert.Equal("a\\,b", result.Lines[1].Tags[0].Value);
    }

    [Fact]
    public void Newline_inside_a_quoted_string_ends_the_line()
    {
        // Docs: "Line protocol does not support the newline character \n in tag or field values." The Go decoder
        // accepts a raw newline inside quotes; we do not, so a stray quote cannot swallow the lines after it:
        // both halves are rejected and the next line is parsed normally.
        var result = Parse("m s=\"two\nlines\" 1\nm f=1 2");
        Assert.Equal(
            [
                "line 1, column 5: unterminated string value for field 's': missing closing '\"'",
                "line 2, column 9: missing '=' after field key '1'",
            ],
            result.Errors.Select(e => e.Message));
        Assert.Equal(3L, Assert.Single(result.Lines).LineNumber);
    }

    [Fact]
    public void Backslash_n_in_a_string_is_a_backslash_and_an_n()
    {
        // Docs: string field values escape "Double quote, Backslash" only. (The Go decoder also turns \n, \r, \t
        // into control characters; we keep the documented rule.)
        var line = Assert.Single(Parse("m s=\"a\\nb\"").Lines);
        Assert.Equal("a\\nb", line.Fields[0].Value);
    }

    [Fact]
    public void Empty_tag_value_is_rejected()
    {
        // Docs: "Tag values cannot be empty; instead, omit the tag from the tag set."
        Assert.Equal("line 1, column 8: missing value for tag 'site' (tag values cannot be empty: omit the tag)",
            Assert.Single(Parse("m,site=,meter=m1 f=1").Errors).Message);
    }

    [Fact]
    public void Quotes_in_names_are_part_of_the_name_and_single_quotes_never_make_a_string()
    {
        // Docs: quotes in measurement, tag key, tag value and field key are "part of the name, key, or value";
        // field values: double quotes for strings only, single quotes never.
        var result = Parse("\"m\",'t'=\"v\" \"f\"=1\nm f='text'");
        var line = Assert.Single(result.Lines);
        Assert.Equal("\"m\"", line.Measurement);
        Assert.Equal(new KeyValuePair<string, string>("'t'", "\"v\""), line.Tags[0]);
        Assert.Equal("\"f\"", line.Fields[0].Key);
        Assert.StartsWith("line 2, column 5: invalid field value ''text''", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Timestamps_are_bounded_by_the_documented_minimum_and_maximum()
    {
        // Docs: minimum -9223372036854775806, maximum 9223372036854775806 (nanoseconds).
        var result = Parse("m f=1 9223372036854775806\nm f=1 -9223372036854775806\nm f=1 9223372036854775807\nm f=1 -9223372036854775807");
        Assert.Equal([9223372036854775806L, -9223372036854775806L], result.Lines.Select(l => l.Timestamp));
        Assert.Equal([3L, 4L], result.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Integer_and_unsigned_limits_are_the_documented_ones()
    {
        // Docs: integers -9223372036854775808i..9223372036854775807i, uintegers 0u..18446744073709551615u.
        var result = Parse("m a=-9223372036854775808i,b=9223372036854775807i,c=0u,d=18446744073709551615u\nm a=9223372036854775808i\nm d=18446744073709551616u");
        Assert.Equal([long.MinValue, long.MaxValue, 0UL, ulong.MaxValue], Assert.Single(result.Lines).Fields.Select(f => f.Value));
        Assert.Equal([LineProtocolErrorKind.IntegerOutOfRange, LineProtocolErrorKind.UnsignedOutOfRange], result.Errors.Select(e => e.Kind));
    }

    [Fact]
    public void Only_the_documented_boolean_spellings_are_booleans()
    {
        // Docs: t, T, true, True, TRUE / f, F, false, False, FALSE.
        var valid = Parse("m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE");
        Assert.Equal([true, true, true, true, true, false, false, false, false, false], Assert.Single(valid.Lines).Fields.Select(f => f.Value));
        foreach (string word in new[] { "tRUE", "yes", "on", "1b", "truee", "FALSe" })
        {
            Assert.Equal(LineProtocolErrorKind.InvalidFieldValue, Assert.Single(Parse("m f=" + word).Errors).Kind);
        }
    }

    [Fact]
    public void Comment_only_at_the_start_of_a_line()
    {
        // Docs: "# at the beginning of a line" is a comment; elsewhere it is an ordinary character.
        var result = Parse("# m f=1\nm,t=#1 f=\"#2\" 3");
        var line = Assert.Single(result.Lines);
        Assert.Equal("#1", line.Tags[0].Value);
        Assert.Equal("#2", line.Fields[0].Value);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Emoji_and_other_utf8_need_no_escaping_but_invalid_utf8_is_rejected()
    {
        var result = LineProtocolParser.ParseAll([.. Encoding.UTF8.GetBytes("myMeasurement,tagKey=🍭 fieldKey=\"Launch 🚀\" 1556813561098000000\n"), .. "m f=\""u8, 0xE2, 0x82, .. "\"\n"u8]);
        Assert.Equal("🍭", Assert.Single(result.Lines).Tags[0].Value);
        Assert.Equal("line 2, column 6: invalid UTF-8 byte sequence", Assert.Single(result.Errors).Message);
    }
}
