using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace CacheSerial.Internal;

/// <summary>
/// The type fingerprint written into envelopes, computed once per type: the first 8 bytes (little-endian) of SHA-256
/// over the type's identity string. The identity has no assembly names or versions, so redeploying keeps entries valid.
/// </summary>
internal static class TypeIdentity<T>
{
    public static readonly string Identity = TypeIdentity.Describe(typeof(T));

    public static readonly ulong Fingerprint = TypeIdentity.Hash(Identity);

    public static readonly int SchemaVersion = TypeIdentity.SchemaVersionOf(typeof(T));
}

internal static class TypeIdentity
{
    /// <summary>
    /// <c>Namespace.Name</c> (nested with <c>+</c>), generics as <c>Name`N[Arg,Arg]</c>, arrays as <c>Elem[]</c>; a type
    /// argument or element with a schema version appends <c>@vN</c>. Documented in docs/wire-format.md.
    /// </summary>
    public static string Describe(Type type)
    {
        var sb = new StringBuilder();
        Append(sb, type, root: true);
        return sb.ToString();
    }

    public static ulong Hash(string identity)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(identity), hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }

    public static int SchemaVersionOf(Type type) =>
        type.GetCustomAttribute<CacheSchemaVersionAttribute>(inherit: false)?.Version ?? 0;

    private static void Append(StringBuilder sb, Type type, bool root)
    {
        if (type.IsArray)
        {
            Append(sb, type.GetElementType()!, root: false);
            sb.Append('[').Append(',', type.GetArrayRank() - 1).Append(']');
        }
        else if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            sb.Append(definition.FullName ?? definition.Name).Append('[');
            var arguments = type.GetGenericArguments();
            for (var i = 0; i < arguments.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                Append(sb, arguments[i], root: false);
            }

            sb.Append(']');
        }
        else
        {
            sb.Append(type.FullName ?? type.Name);
        }

        // The root's own version is a separate envelope field, so a schema bump is reported as such.
        if (!root && SchemaVersionOf(type) is var version and not 0)
        {
            sb.Append("@v").Append(version);
        }
    }
}
