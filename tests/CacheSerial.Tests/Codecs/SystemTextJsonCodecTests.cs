using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Codecs;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Codecs;

public sealed class SystemTextJsonCodecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Name_IsStj()
    {
        Assert.Equal("stj", SystemTextJsonCodec.Default.Name);
        Assert.Equal("stj", new SystemTextJsonCodec(new JsonSerializerOptions()).Name);
        Assert.Equal("stj", new SystemTextJsonCodec(TestJsonContext.Default).Name);
    }

    [Fact]
    public void Default_WritesCamelCaseWebJson()
    {
        Assert.Equal("""{"name":"a","number":1}""", Write(SystemTextJsonCodec.Default, new Sample("a", 1)));
    }

    [Fact]
    public void Default_IncludesFieldsSoValueTuplesAreNotEmpty()
    {
        Assert.Equal("""{"item1":1,"item2":"x"}""", Write(SystemTextJsonCodec.Default, (1, "x")));
    }

    [Fact]
    public void Default_ReadsCaseInsensitively()
    {
        var value = SystemTextJsonCodec.Default.Deserialize<Sample>(Sequence("""{"NAME":"a","Number":1}"""));

        Assert.Equal(new Sample("a", 1), value);
    }

    [Fact]
    public void CustomOptions_AreUsedAsGiven()
    {
        var codec = new SystemTextJsonCodec(new JsonSerializerOptions());

        Assert.Same(codec.Options, codec.Options);
        Assert.Equal("""{"Name":"a","Number":1}""", Write(codec, new Sample("a", 1)));
        Assert.Equal("{}", Write(codec, (1, "x"))); // documented: without IncludeFields a value tuple is {}
    }

    [Fact]
    public void Constructor_NullContext_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new SystemTextJsonCodec((JsonSerializerContext)null!));
    }

    [Fact]
    public void Constructor_Context_UsesItsOptions()
    {
        var codec = new SystemTextJsonCodec(TestJsonContext.Default);

        Assert.Same(TestJsonContext.Default.Options, codec.Options);
    }

    [Fact]
    public void SourceGenerated_TypeNotInContext_ThrowsOnSerialize()
    {
        var codec = new SystemTextJsonCodec(TestJsonContext.Default);

        Assert.ThrowsAny<Exception>(() => Write(codec, new Sample("a", 1)));
    }

    [Fact]
    public async Task SourceGenerated_TypeNotInContext_SetAsyncThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseSystemTextJson(TestJsonContext.Default));

        var ex = await Assert.ThrowsAsync<CacheSerializationException>(
            async () => await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct));

        Assert.Contains("stj", ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Sample).FullName!, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 2")]
    [InlineData("1}")]
    [InlineData("{\"name\":\"a\",\"number\":1}{}")]
    public void Deserialize_TrailingData_Throws(string json)
    {
        Assert.ThrowsAny<JsonException>(() => SystemTextJsonCodec.Default.Deserialize<object>(Sequence(json)));
    }

    [Fact]
    public void Deserialize_TrailingWhitespace_IsAccepted()
    {
        Assert.Equal(1, SystemTextJsonCodec.Default.Deserialize<int>(Sequence(" 1 \n")));
    }

    [Fact]
    public void Deserialize_Empty_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => SystemTextJsonCodec.Default.Deserialize<int>(ReadOnlySequence<byte>.Empty));
    }

    [Fact]
    public void Serialize_NullDestination_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => SystemTextJsonCodec.Default.Serialize(1, null!));
    }

    [Fact]
    public void Serialize_AlternatingCodecsOnOneThread_EachUsesItsOwnOptions()
    {
        // The codec keeps one writer per thread; a second codec on the same thread must not borrow the first's settings.
        var web = SystemTextJsonCodec.Default;
        var indented = new SystemTextJsonCodec(new JsonSerializerOptions { WriteIndented = true });

        var first = Write(web, new Sample("a", 1));
        var second = Write(indented, new Sample("a", 1));
        var third = Write(web, new Sample("a", 1));

        Assert.Equal("""{"name":"a","number":1}""", first);
        Assert.Contains('\n', second);
        Assert.Equal(first, third);
    }

    [Fact]
    public void Serialize_ReentrantThroughConverter_ProducesBothValues()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var codec = new SystemTextJsonCodec(options);
        options.Converters.Add(new NestedThroughCodecConverter(codec));

        var json = Write(codec, new Envelope(new Sample("inner", 2)));

        Assert.Equal("""{"inner":"{\u0022name\u0022:\u0022inner\u0022,\u0022number\u0022:2}"}""", json);
    }

    [Fact]
    public void Serialize_AfterCodecThrew_NextSerializeOnSameThreadStillWorks()
    {
        Assert.ThrowsAny<JsonException>(() => Write(SystemTextJsonCodec.Default, new SelfReferencing()));

        Assert.Equal("""{"name":"a","number":1}""", Write(SystemTextJsonCodec.Default, new Sample("a", 1)));
    }

    private static string Write<T>(SystemTextJsonCodec codec, T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        codec.Serialize(value, writer);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    private static ReadOnlySequence<byte> Sequence(string text) => new(Encoding.UTF8.GetBytes(text));

    public sealed record Envelope(Sample Inner);

    /// <summary>Writes <see cref="Envelope.Inner"/> as a string holding its own JSON, produced by the same codec.</summary>
    private sealed class NestedThroughCodecConverter(SystemTextJsonCodec codec) : JsonConverter<Envelope>
    {
        public override Envelope Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, Envelope value, JsonSerializerOptions options)
        {
            var inner = new ArrayBufferWriter<byte>();
            codec.Serialize(value.Inner, inner);
            writer.WriteStartObject();
            writer.WriteString("inner", Encoding.UTF8.GetString(inner.WrittenSpan));
            writer.WriteEndObject();
        }
    }
}
