using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>Invalid lines and their exact messages (line 1; the column is the 1-based byte column).</summary>
public sealed class InvalidLineTests
{
    private const string Expected = "expected a number, integer (i), unsigned (u), boolean or \"string\"";

    public static TheoryData<string, string> Lines => new()
    {
        // Measurement and tag set.
        { ",t=a f=1", "line 1, column 1: missing measurement name" },
        { "m", "line 1, column 2: missing field set: a point needs at least one field" },
        { "m ", "line 1, column 3: missing field set: a point needs at least one field" },
        { "m,t=a", "line 1, column 6: missing field set: a point needs at least one field" },
        { "m, f=1", "line 1, column 3: missing tag key after ','" },
        { "m,=v f=1", "line 1, column 3: missing tag key after ','" },
        { "m,t=a, f=1", "line 1, column 7: missing tag key after ','" },
        { "m,t f=1", "line 1, column 4: missing '=' after tag key 't'" },
        { "m,t", "line 1, column 4: missing '=' after tag key 't'" },
        { "m,t= f=1", "line 1, column 5: missing value for tag 't' (tag values cannot be empty: omit the tag)" },
        { "m,t=,u=1 f=1", "line 1, column 5: missing value for tag 't' (tag values cannot be empty: omit the tag)" },
        { "m,t=a=b f=1", "line 1, column 6: unescaped '=' in the value of tag 't' (write it as \\=)" },
        { "m\tx f=1", "line 1, column 2: invalid character tab (0x09) in the measurement name" },
        { "m,t\u0001=a f=1", "line 1, column 4: invalid character control character 0x01 in a tag key" },
        { "m,t=a\u007f f=1", "line 1, column 6: invalid character control character 0x7F in the value of tag 't'" },
        { "m f\u0000=1", "line 1, column 4: invalid character control character 0x00 in a field key" },

        // An escaped separator does not end a token: the tag value runs on into "f" and meets the '='.
        { "m,t=a\\ f=1", "line 1, column 9: unescaped '=' in the value of tag 't' (write it as \\=)" },
        { "m,t=a\\ b", "line 1, column 9: missing field set: a point needs at least one field" },
        { "m,t=a\\\\,u=b f=1", "line 1, column 10: unescaped '=' in the value of tag 't' (write it as \\=)" },

        // Field set.
        { "m =1", "line 1, column 3: missing field key" },
        { "m f=1,", "line 1, column 7: missing field key" },
        { "m f=1, g=2", "line 1, column 7: missing field key" },
        { "m f=1,,g=2", "line 1, column 7: missing field key" },
        { "m f", "line 1, column 4: missing '=' after field key 'f'" },
        { "m f,g=1", "line 1, column 4: missing '=' after field key 'f'" },
        { "m f=", "line 1, column 5: missing value for field 'f'" },
        { "m f=,g=1", "line 1, column 5: missing value for field 'f'" },
        { "m f= 1", "line 1, column 5: missing value for field 'f'" },

        // Field values.
        { "m f=abc", $"line 1, column 5: invalid field value 'abc': {Expected}" },
        { "m power_kw=12,5", "line 1, column 16: missing '=' after field key '5'" },
        { "m f=1.2.3", $"line 1, column 5: invalid field value '1.2.3': {Expected}" },
        { "m f=1e", $"line 1, column 5: invalid field value '1e': {Expected}" },
        { "m f=1e+", $"line 1, column 5: invalid field value '1e+': {Expected}" },
        { "m f=+1", $"line 1, column 5: invalid field value '+1': {Expected}" },
        { "m f=.", $"line 1, column 5: invalid field value '.': {Expected}" },
        { "m f=-", $"line 1, column 5: invalid field value '-': {Expected}" },
        { "m f=1_000", $"line 1, column 5: invalid field value '1_000': {Expected}" },
        { "m f=0x10", $"line 1, column 5: invalid field value '0x10': {Expected}" },
        { "m f='x'", $"line 1, column 5: invalid field value ''x'': {Expected}" },
        { "m f=1.5i", $"line 1, column 5: invalid field value '1.5i': {Expected}" },
        { "m f=1e3i", $"line 1, column 5: invalid field value '1e3i': {Expected}" },
        { "m f=i", $"line 1, column 5: invalid field value 'i': {Expected}" },
        { "m f=+1i", $"line 1, column 5: invalid field value '+1i': {Expected}" },
        { "m f=1.0u", $"line 1, column 5: invalid field value '1.0u': {Expected}" },
        { "m f=tru", $"line 1, column 5: invalid field value 'tru': {Expected}" },
        { "m f=tRUE", $"line 1, column 5: invalid field value 'tRUE': {Expected}" },
        { "m f=yes", $"line 1, column 5: invalid field value 'yes': {Expected}" },
        { "m f=1 2 3", "line 1, column 9: unexpected text '3' after the timestamp" },
        { "m f=inf", "line 1, column 5: invalid field value 'inf': NaN and infinity are not supported" },
        { "m f=-Inf", "line 1, column 5: invalid field value '-Inf': NaN and infinity are not supported" },
        { "m f=+inf", "line 1, column 5: invalid field value '+inf': NaN and infinity are not supported" },
        { "m f=NaN", "line 1, column 5: invalid field value 'NaN': NaN and infinity are not supported" },
        { "m f=Infinity", "line 1, column 5: invalid field value 'Infinity': NaN and infinity are not supported" },
        { "m f=1e400", "line 1, column 5: float field value '1e400' out of range (-1.7976931348623157E+308 to 1.7976931348623157E+308)" },
        { "m f=-1.8e308", "line 1, column 5: float field value '-1.8e308' out of range (-1.7976931348623157E+308 to 1.7976931348623157E+308)" },
        { "m f=9223372036854775808i", "line 1, column 5: integer field value '9223372036854775808i' out of range (-9223372036854775808i to 9223372036854775807i)" },
        { "m f=-9223372036854775809i", "line 1, column 5: integer field value '-9223372036854775809i' out of range (-9223372036854775808i to 9223372036854775807i)" },
        { "m f=99999999999999999999999i", "line 1, column 5: integer field value '99999999999999999999999i' out of range (-9223372036854775808i to 9223372036854775807i)" },
        { "m f=18446744073709551616u", "line 1, column 5: unsigned field value '18446744073709551616u' out of range (0u to 18446744073709551615u)" },
        { "m f=-1u", "line 1, column 5: unsigned field value '-1u' out of range (0u to 18446744073709551615u)" },

        // Strings.
        { "m f=\"abc", "line 1, column 5: unterminated string value for field 'f': missing closing '\"'" },
        { "m f=\"abc\\\"", "line 1, column 5: unterminated string value for field 'f': missing closing '\"'" },
        { "m f=\"a\"b", "line 1, column 8: unexpected 'b' after the value of field 'f': expected ',' or ' '" },
        { "m f=\"a\"\"b\"", "line 1, column 8: unexpected '\"' after the value of field 'f': expected ',' or ' '" },
        { "m f=\"a\nb\"", "line 1, column 7: invalid character newline (0x0A) in the value of field 'f'" },

        // Timestamps.
        { "m f=1 12a", "line 1, column 7: invalid timestamp '12a': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 1.5", "line 1, column 7: invalid timestamp '1.5': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 -", "line 1, column 7: invalid timestamp '-': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 +1", "line 1, column 7: invalid timestamp '+1': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 1e9", "line 1, column 7: invalid timestamp '1e9': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 \"123\"", "line 1, column 7: invalid timestamp '\"123\"': expected an integer Unix time in nanoseconds (precision ns)" },
        { "m f=1 9223372036854775807", "line 1, column 7: timestamp '9223372036854775807' out of range for precision ns (Unix nanoseconds must lie within ±9223372036854775806)" },
        { "m f=1 -9223372036854775808", "line 1, column 7: timestamp '-9223372036854775808' out of range for precision ns (Unix nanoseconds must lie within ±9223372036854775806)" },
        { "m f=1 99999999999999999999", "line 1, column 7: timestamp '99999999999999999999' out of range for precision ns (Unix nanoseconds must lie within ±9223372036854775806)" },
        { "m f=1 123 456", "line 1, column 11: unexpected text '456' after the timestamp" },
        { "m f=1 123 456 789", "line 1, column 11: unexpected text '456 789' after the timestamp" },

        // A long token is shortened in the message; control characters are shown as \xNN.
        {
            "m f=" + new string('9', 70) + "x",
            "line 1, column 5: invalid field value '" + new string('9', 64) + "…': " + Expected
        },
        { "m f=1\u0002", $"line 1, column 5: invalid field value '1\\x02': {Expected}" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Invalid_line_is_rejected_with_a_precise_reason(string line, string expected)
    {
        var parser = new LineProtocolParser();
        var status = parser.ParseLine(Encoding.UTF8.GetBytes(line), out _, out var error);
        Assert.Equal(LineParseStatus.Error, status);
        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public void Invalid_utf8_is_rejected_at_the_first_bad_byte()
    {
        var parser = new LineProtocolParser();
        byte[] line = [.. "m,t=caf"u8, 0xC3, (byte)' ', .. "f=1"u8];
        Assert.Equal(LineParseStatus.Error, parser.ParseLine(line, out _, out var error));
        Assert.Equal("line 1, column 8: invalid UTF-8 byte sequence", error.ToString());
        Assert.Equal(LineProtocolErrorKind.InvalidUtf8, error.Kind);
    }

    [Fact]
    public void Error_exposes_kind_element_token_and_name_without_allocating_a_message()
    {
        var parser = new LineProtocolParser();
        Assert.Equal(LineParseStatus.Error, parser.ParseLine("meter,site=s1 power_kw=abc 1"u8, 7, out _, out var error));
        Assert.Equal(7, error.LineNumber);
        Assert.Equal(24, error.Column);
        Assert.Equal(LineProtocolErrorKind.InvalidFieldValue, error.Kind);
        Assert.Equal(LineProtocolElement.FieldValue, error.Element);
        Assert.True(error.Token.SequenceEqual("abc"u8));
        Assert.True(error.Name.SequenceEqual("power_kw"u8));
        var kept = error.ToError();
        Assert.Equal(7, kept.Line);
        Assert.Equal(24, kept.Column);
        Assert.Equal("line 7, column 24: invalid field value 'abc': " + Expected, kept.Message);
    }
}
