using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CacheSerial.Benchmarks.Model;
using CacheSerial.MessagePack;
using MessagePack;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>CacheSerial's codecs against the raw serializer they wrap, on the same object and settings.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CodecBenchmarks
{
    private readonly Product _product = ProductSample.Create(1);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly SystemTextJsonCodec _json = new(ProductJsonContext.Default);
    private readonly MessagePackCodec _messagePack = new(Serializers.MessagePack);
    private Utf8JsonWriter _writer = null!;
    private ReadOnlySequence<byte> _jsonBytes;
    private ReadOnlySequence<byte> _messagePackBytes;

    [GlobalSetup]
    public void Setup()
    {
        _writer = new Utf8JsonWriter(_buffer);
        _jsonBytes = new(JsonSerializer.SerializeToUtf8Bytes(_product, ProductJsonContext.Default.Product));
        _messagePackBytes = new(MessagePackSerializer.Serialize(_product, Serializers.MessagePack));
    }

    [BenchmarkCategory("JSON serialize"), Benchmark(Baseline = true)]
    public int Json_Raw_Serialize()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _product, ProductJsonContext.Default.Product);
        _writer.Flush();
        return _buffer.WrittenCount;
    }

    [BenchmarkCategory("JSON serialize"), Benchmark]
    public int Json_Codec_Serialize()
    {
        _buffer.ResetWrittenCount();
        _json.Serialize(_product, _buffer);
        return _buffer.WrittenCount;
    }

    [BenchmarkCategory("JSON deserialize"), Benchmark(Baseline = true)]
    public Product Json_Raw_Deserialize()
    {
        var reader = new Utf8JsonReader(_jsonBytes);
        return JsonSerializer.Deserialize(ref reader, ProductJsonContext.Default.Product)!;
    }

    [BenchmarkCategory("JSON deserialize"), Benchmark]
    public Product Json_Codec_Deserialize() => _json.Deserialize<Product>(_jsonBytes);

    [BenchmarkCategory("MessagePack serialize"), Benchmark(Baseline = true)]
    public int MessagePack_Raw_Serialize()
    {
        _buffer.ResetWrittenCount();
        MessagePackSerializer.Serialize(_buffer, _product, Serializers.MessagePack);
        return _buffer.WrittenCount;
    }

    [BenchmarkCategory("MessagePack serialize"), Benchmark]
    public int MessagePack_Codec_Serialize()
    {
        _buffer.ResetWrittenCount();
        _messagePack.Serialize(_product, _buffer);
        return _buffer.WrittenCount;
    }

    [BenchmarkCategory("MessagePack deserialize"), Benchmark(Baseline = true)]
    public Product MessagePack_Raw_Deserialize() => MessagePackSerializer.Deserialize<Product>(_messagePackBytes, Serializers.MessagePack);

    [BenchmarkCategory("MessagePack deserialize"), Benchmark]
    public Product MessagePack_Codec_Deserialize() => _messagePack.Deserialize<Product>(_messagePackBytes);
}
