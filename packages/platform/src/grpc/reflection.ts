import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/** The files declaring `services`, with every file they import, recursively (each once). */
export function filesOf(services: readonly DescService[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    seen.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((service) => visit(service.file));
  return [...seen.values()];
}

/**
 * Adds gRPC server reflection (v1 and v1alpha) for `services` to `server`, built from the
 * services' file descriptors and their imports (e.g. google/protobuf/struct.proto), so generic
 * clients (`buf curl`) can list them and call them with JSON. Only `services` are listed.
 */
export function addReflection(server: Server, services: readonly DescService[]): void {
  const fileDescriptorProtos = filesOf(services).map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  // @grpc/reflection reads only `fileDescriptorProtos` of each package-definition entry.
  const definition = { gantry: { fileDescriptorProtos } } as unknown as PackageDefinition;
  new ReflectionService(definition, { services: services.map((s) => s.typeName) }).addToServer(server);
}
