using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>Valid lines and what they parse to (default timestamp 42 ns).</summary>
public sealed class ValidLineTests
{
    public static TheoryData<string, string> Lines => new()
    {
        // The product's own vocabulary.
        {
            "meter,site=casa-aero,meter=m-001 energy_import_kwh=123456.5,power_kw=12.25,pf=0.92 1764000000000000000",
            "'meter' ['site'='casa-aero', 'meter'='m-001'] ['energy_import_kwh'=123456.5, 'power_kw'=12.25, 'pf'=0.92] 1764000000000000000"
        },
        { "edge_status,site=s1,agent=gw-1 buffer_records=0i,dropped_total=12u", "'edge_status' ['site'='s1', 'agent'='gw-1'] ['buffer_records'=0i, 'dropped_total'=12u] default(42)" },

        // Floats: plain, exponent forms, sign, leading/trailing point, extremes.
        { "m f=1", "'m' [] ['f'=1] default(42)" },
        { "m f=1.0", "'m' [] ['f'=1] default(42)" },
        { "m f=-1.5E-3", "'m' [] ['f'=-0.0015] default(42)" },
        { "m f=1e3", "'m' [] ['f'=1000] default(42)" },
        { "m f=1E+3", "'m' [] ['f'=1000] default(42)" },
        { "m f=-1.234456e+78", "'m' [] ['f'=-1.234456E+78] default(42)" },
        { "m f=.5", "'m' [] ['f'=0.5] default(42)" },
        { "m f=-.5", "'m' [] ['f'=-0.5] default(42)" },
        { "m f=5.", "'m' [] ['f'=5] default(42)" },
        { "m f=1.e2", "'m' [] ['f'=100] default(42)" },
        { "m f=-0", "'m' [] ['f'=-0] default(42)" },
        { "m f=00012.50", "'m' [] ['f'=12.5] default(42)" },
        { "m f=0.1", "'m' [] ['f'=0.1] default(42)" },
        { "m f=0.30000000000000004", "'m' [] ['f'=0.30000000000000004] default(42)" },
        { "m f=12345678901234567890", "'m' [] ['f'=1.2345678901234567E+19] default(42)" },
        { "m f=1.7976931348623157e308", "'m' [] ['f'=1.7976931348623157E+308] default(42)" },
        { "m f=4.9e-324", "'m' [] ['f'=5E-324] default(42)" },
        { "m f=1e-400", "'m' [] ['f'=0] default(42)" },

        // Integers and unsigned integers, with their limits.
        { "m f=1i", "'m' [] ['f'=1i] default(42)" },
        { "m f=-12485903i", "'m' [] ['f'=-12485903i] default(42)" },
        { "m f=9223372036854775807i", "'m' [] ['f'=9223372036854775807i] default(42)" },
        { "m f=-9223372036854775808i", "'m' [] ['f'=-9223372036854775808i] default(42)" },
        { "m f=-0i", "'m' [] ['f'=0i] default(42)" },
        { "m f=007i", "'m' [] ['f'=7i] default(42)" },
        { "m f=0u", "'m' [] ['f'=0u] default(42)" },
        { "m f=18446744073709551615u", "'m' [] ['f'=18446744073709551615u] default(42)" },

        // Every boolean form.
        { "m a=t,b=T,c=true,d=True,e=TRUE", "'m' [] ['a'=true, 'b'=true, 'c'=true, 'd'=true, 'e'=true] default(42)" },
        { "m a=f,b=F,c=false,d=False,e=FALSE", "'m' [] ['a'=false, 'b'=false, 'c'=false, 'd'=false, 'e'=false] default(42)" },

        // Strings: quotes and backslashes escaped, everything else literal.
        { "m s=\"hello\"", "'m' [] ['s'=\"hello\"] default(42)" },
        { "m s=\"\"", "'m' [] ['s'=\"\"] default(42)" },
        { "m s=\"\\\"string\\\" within a string\"", "'m' [] ['s'=\"\"string\" within a string\"] default(42)" },
        { "m s=\"a,b c=d\",n=1i", "'m' [] ['s'=\"a,b c=d\", 'n'=1i] default(42)" },
        { "m s=\"c:\\dir\"", "'m' [] ['s'=\"c:\\dir\"] default(42)" },
        { "m s=\"back\\\\slash\"", "'m' [] ['s'=\"back\\slash\"] default(42)" },
        { "m s=\"ends with \\\\\"", "'m' [] ['s'=\"ends with \\\"] default(42)" },
        { "m s=\"\\\\\\x\"", "'m' [] ['s'=\"\\\\x\"] default(42)" },
        { "m s=\"\\\\\\\\x\"", "'m' [] ['s'=\"\\\\x\"] default(42)" },
        { "m s=\"\\\\\\\\\\x\"", "'m' [] ['s'=\"\\\\\\x\"] default(42)" },
        { "m s=\"tab\there\"", "'m' [] ['s'=\"tab\there\"] default(42)" },
        { "m s=\"# not a comment\"", "'m' [] ['s'=\"# not a comment\"] default(42)" },

        // Measurement escapes: comma and space; '=' and other backslashes are literal.
        { "my\\ Measurement fieldKey=\"string value\"", "'my Measurement' [] ['fieldKey'=\"string value\"] default(42)" },
        { "wea\\,ther f=1", "'wea,ther' [] ['f'=1] default(42)" },
        { "a=b f=1", "'a=b' [] ['f'=1] default(42)" },
        { "m\\=x f=1", "'m\\=x' [] ['f'=1] default(42)" },
        { "m\\\\,t=v f=1", "'m\\,t=v' [] ['f'=1] default(42)" },
        { "\"quoted\" f=1", "'\"quoted\"' [] ['f'=1] default(42)" },

        // Tag keys, tag values, field keys: comma, equals sign and space.
        { "m,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100", "'m' ['tag Key1'='tag Value1', 'tag Key2'='tag Value2'] ['fieldKey'=100] default(42)" },
        { "m,k\\,1=v\\,1,k\\=2=v\\=2 f=1", "'m' ['k,1'='v,1', 'k=2'='v=2'] ['f'=1] default(42)" },
        { "m f\\ k=1,f\\,k=2,f\\=k=3", "'m' [] ['f k'=1, 'f,k'=2, 'f=k'=3] default(42)" },
        { "m,path=c:\\dir f=1", "'m' ['path'='c:\\dir'] ['f'=1] default(42)" },
        { "m,path=a\\\\b f=1", "'m' ['path'='a\\\\b'] ['f'=1] default(42)" },
        { "m,t=#1,q='x' \"f\"=1", "'m' ['t'='#1', 'q'=''x''] ['\"f\"'=1] default(42)" },

        // The documentation's own examples.
        {
            "myMeasurement,tagKey=🍭 fieldKey=\"Launch 🚀\" 1556813561098000000",
            "'myMeasurement' ['tagKey'='🍭'] ['fieldKey'=\"Launch 🚀\"] 1556813561098000000"
        },
        {
            "\"measurement\\ with\\ quo⚡️es\\ and\\ emoji\",tag\\ key\\ with\\ sp🚀ces=tag\\,value\\,with\"commas\" field_k\\ey=\"string field value, only \\\" need be esc🍭ped\"",
            "'\"measurement with quo⚡️es and emoji\"' ['tag key with sp🚀ces'='tag,value,with\"commas\"'] ['field_k\\ey'=\"string field value, only \" need be esc🍭ped\"] default(42)"
        },

        // Whitespace: leading, repeated separators, trailing, CRLF.
        { "   m f=1", "'m' [] ['f'=1] default(42)" },
        { "\tm f=1", "'m' [] ['f'=1] default(42)" },
        { "m,t=a   f=1   123", "'m' ['t'='a'] ['f'=1] 123" },
        { "m f=1 123   ", "'m' [] ['f'=1] 123" },
        { "m f=1 ", "'m' [] ['f'=1] default(42)" },
        { "m f=1 123\r", "'m' [] ['f'=1] 123" },

        // Timestamps: zero, negative, the documented extremes.
        { "m f=1 0", "'m' [] ['f'=1] 0" },
        { "m f=1 -1", "'m' [] ['f'=1] -1" },
        { "m f=1 9223372036854775806", "'m' [] ['f'=1] 9223372036854775806" },
        { "m f=1 -9223372036854775806", "'m' [] ['f'=1] -9223372036854775806" },

        // More tags and fields than the parser's initial buffers hold.
        {
            "m,a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10 f1=1,f2=2i,f3=3u,f4=t,f5=\"5\",f6=6,f7=7,f8=8,f9=9,f10=10 1",
            "'m' ['a'='1', 'b'='2', 'c'='3', 'd'='4', 'e'='5', 'f'='6', 'g'='7', 'h'='8', 'i'='9', 'j'='10'] " +
            "['f1'=1, 'f2'=2i, 'f3'=3u, 'f4'=true, 'f5'=\"5\", 'f6'=6, 'f7'=7, 'f8'=8, 'f9'=9, 'f10'=10] 1"
        },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Valid_line_parses_to_its_elements(string line, string expected)
    {
        var parser = new LineProtocolParser { DefaultTimestamp = 42 };
        var status = parser.ParseLine(Encoding.UTF8.GetBytes(line), out var point, out var error);
        Assert.True(status == LineParseStatus.Point, status == LineParseStatus.Error ? error.ToString() : status.ToString());
        var parsed = point.ToParsedLine();
        Assert.Equal(expected, TestSupport.Describe(parsed));

        // Writing it back and parsing again gives the same line.
        var again = LineProtocolParser.ParseAll(parsed.ToLineProtocol(), defaultTimestamp: 42);
        Assert.Empty(again.Errors);
        Assert.Equal(expected, TestSupport.Describe(Assert.Single(again.Lines)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r")]
    [InlineData("# a comment")]
    [InlineData("   # an indented comment, f=1 and all")]
    [InlineData("#m f=1 123")]
    public void Blank_lines_and_comments_are_skipped(string line)
    {
        var parser = new LineProtocolParser();
        Assert.Equal(LineParseStatus.Skipped, parser.ParseLine(Encoding.UTF8.GetBytes(line), out _, out _));
    }

    [Fact]
    public void Views_expose_raw_escaped_names_and_unescape_into_caller_buffers()
    {
        var parser = new LineProtocolParser();
        var line = "my\\ m,site\\ id=casa\\,aero,meter=m-001 e\\=kwh=1.5,s=\"say \\\"hi\\\"\",n=3i 10"u8;
        Assert.Equal(LineParseStatus.Point, parser.ParseLine(line, out var point, out _));

        Assert.True(point.RawMeasurement.SequenceEqual("my\\ m"u8));
        Assert.True(point.MeasurementHasEscapes);
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(buffer[..point.UnescapeMeasurement(buffer)].SequenceEqual("my m"u8));

        Assert.Equal(2, point.Tags.Count);
        Assert.True(point.Tags.TryGetValue("site id"u8, out var site));
        Assert.True(site.RawValue.SequenceEqual("casa\\,aero"u8));
        Assert.True(site.ValueEquals("casa,aero"u8));
        Assert.True(buffer[..site.UnescapeValue(buffer)].SequenceEqual("casa,aero"u8));
        Assert.True(point.Tags.TryGetValue("meter"u8, out var meter));
        Assert.False(meter.ValueHasEscapes);
        Assert.True(meter.RawValue.SequenceEqual("m-001"u8));
        Assert.False(point.Tags.TryGetValue("site"u8, out _));

        Assert.True(point.Fields.TryGetValue("e=kwh"u8, out var energy));
        Assert.Equal(LineProtocolFieldKind.Float, energy.Kind);
        Assert.Equal(1.5, energy.FloatValue);
        Assert.True(energy.TryGetNumber(out double asNumber));
        Assert.Equal(1.5, asNumber);
        Assert.True(point.Fields.TryGetValue("s"u8, out var s));
        Assert.True(s.StringHasEscapes);
        Assert.True(s.RawValue.SequenceEqual("say \\\"hi\\\""u8));
        Assert.True(buffer[..s.UnescapeString(buffer)].SequenceEqual("say \"hi\""u8));
        Assert.False(s.TryGetNumber(out _));
        Assert.True(point.Fields.TryGetValue("n"u8, out var n));
        Assert.Equal(3L, n.IntegerValue);
        try
        {
            _ = n.FloatValue;
            Assert.Fail("an integer field has no float value");
        }
        catch (InvalidOperationException e)
        {
            Assert.Equal("field 'n' is Integer, not Float", e.Message);
        }

        Assert.True(n.TryGetNumber(out double nAsDouble));
        Assert.Equal(3.0, nAsDouble);
        Assert.Equal(10L, point.Timestamp);
        Assert.True(point.HasTimestamp);

        int count = 0;
        foreach (var field in point.Fields)
        {
            Assert.False(field.RawKey.IsEmpty);
            count++;
        }

        Assert.Equal(3, count);
    }
}
