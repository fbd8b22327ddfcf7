using System.Text.Json;
using System.Text.Json.Serialization;
using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

/// <summary>A source-generated context covering every type of the codec round-trip suite (and nothing else).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, IncludeFields = true)]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(Guid))]
[JsonSerializable(typeof(Colour))]
[JsonSerializable(typeof(Permissions))]
[JsonSerializable(typeof(Person))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Catalogue))]
[JsonSerializable(typeof((int, string)))]
[JsonSerializable(typeof((string, List<int>, Colour)))]
[JsonSerializable(typeof(((int, int), string)))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Person[]))]
[JsonSerializable(typeof(List<Person>))]
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(Dictionary<string, Person>))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
