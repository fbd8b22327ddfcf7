using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CacheSerial;

/// <summary>
/// The default codec: UTF-8 JSON through System.Text.Json, readable from any language. Accepts
/// <see cref="JsonSerializerOptions"/> or a source-generated <see cref="JsonSerializerContext"/>.
/// </summary>
/// <remarks>
/// The default options are <see cref="JsonSerializerDefaults.Web"/> (camelCase, case-insensitive reads) with
/// <see cref="JsonSerializerOptions.IncludeFields"/> on, so value tuples and field-only types round-trip.
/// Options you pass are used as given: without <c>IncludeFields</c> a value tuple is written as <c>{}</c>.
/// </remarks>
public sealed class SystemTextJsonCodec : ICacheCodec
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static SystemTextJsonCodec? t_writerOwner;

    private readonly JsonWriterOptions _writerOptions;
    private readonly JsonReaderOptions _readerOptions;

    /// <summary>Creates the codec.</summary>
    /// <param name="options">Serializer options; <see langword="null"/> for the defaults described on the type.</param>
    public SystemTextJsonCodec(JsonSerializerOptions? options = null)
    {
        Options = options ?? CreateDefaultOptions();
        _writerOptions = new JsonWriterOptions
        {
            Encoder = Options.Encoder,
            Indented = Options.WriteIndented,
            IndentCharacter = Options.IndentCharacter,
            IndentSize = Options.IndentSize,
            NewLine = Options.NewLine,
            MaxDepth = Options.MaxDepth,
            SkipValidation = true, // the serializer produces well-formed JSON; validation only costs time
        };
        _readerOptions = new JsonReaderOptions
        {
            AllowTrailingCommas = Options.AllowTrailingCommas,
            CommentHandling = Options.ReadCommentHandling,
            MaxDepth = Options.MaxDepth,
        };
    }

    /// <summary>Creates the codec over a source-generated context (trimming- and AOT-friendly).</summary>
    /// <param name="context">The context; its <see cref="JsonSerializerContext.Options"/> are used.</param>
    public SystemTextJsonCodec(JsonSerializerContext context)
        : this((context ?? throw new ArgumentNullException(nameof(context))).Options)
    {
    }

    /// <summary>A shared instance with the default options.</summary>
    public static SystemTextJsonCodec Default { get; } = new();

    /// <summary>The codec name stored in entries: <c>stj</c>.</summary>
    public string Name => "stj";

    /// <summary>The serializer options in use.</summary>
    public JsonSerializerOptions Options { get; }

    /// <inheritdoc />
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);

        // One writer per thread and codec: Utf8JsonWriter is reset onto each destination instead of allocated per call.
        var writer = t_writerOwner == this ? t_writer! : null;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(destination, _writerOptions);
        }
        else
        {
            writer.Reset(destination);
        }

        t_writer = null; // not reentrant: a converter that serializes through this codec gets its own writer
        try
        {
            JsonSerializer.Serialize(writer, value, Options);
            writer.Flush();
        }
        finally
        {
            writer.Reset();
            t_writer = writer;
            t_writerOwner = this;
        }
    }

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlySequence<byte> source)
    {
        if (source.IsSingleSegment)
        {
            // The span overload reads the value in one pass (the reader overload first scans it to find its end), and
            // rejects trailing data and honours the options' reader settings just the same.
            return JsonSerializer.Deserialize<T>(source.FirstSpan, Options)!;
        }

        var reader = new Utf8JsonReader(source, _readerOptions);
        var value = JsonSerializer.Deserialize<T>(ref reader, Options);
        if (reader.Read())
        {
            throw new JsonException("Unexpected data after the JSON value.");
        }

        return value!;
    }

    // Not made read-only here: where reflection is disabled (trimmed or AOT apps) that would throw before the
    // caller had a chance to pass a source-generated context; System.Text.Json locks the options on first use.
    private static JsonSerializerOptions CreateDefaultOptions() =>
        new(JsonSerializerDefaults.Web) { IncludeFields = true };
}
