// After the builds: the host ran under mvn exec:java (its output is in the build log), and runs with
// java -cp and from the fat jar; each time its plugin, a process of its own, answered.
import java.util.concurrent.TimeUnit

def expect(String text, String name, String where) {
  def pattern = ~/(?m)^Hello, ${name}, from plugin process \d+$/
  assert (text =~ pattern).find() : "no greeting from the plugin ${where}:\n${text}"
}

// A clean start, call and stop logs nothing at WARN or ERROR (slf4j-simple: "[thread] LEVEL logger - …").
def quiet(String text, String where) {
  assert !(text =~ /(?m)\] (WARN|ERROR) /).find() : "a clean run logged a warning ${where}:\n${text}"
}

def run(List<String> command) {
  def process = new ProcessBuilder(command).directory(basedir).redirectErrorStream(true).start()
  def output = new StringBuilder()
  def reader = Thread.start { output.append(process.inputStream.getText('UTF-8')) }
  assert process.waitFor(120, TimeUnit.SECONDS) : "${command} did not finish within 120 s:\n${output}"
  reader.join(5000)
  assert process.exitValue() == 0 : "${command} exited with ${process.exitValue()}:\n${output}"
  return output.toString()
}

def java = new File(System.getProperty('java.home'), 'bin/java').path
def sep = File.pathSeparator

def log = new File(basedir, 'build.log').getText('UTF-8')
expect(log, 'Maven', 'under mvn exec:java')
// exec:java waits for the application's threads when main returns: none of Spoke's may linger.
assert !log.contains('did not finish despite being asked') : "a thread lingered after the host closed:\n${log}"
quiet(log, 'under mvn exec:java')
def cp = run([java, '-cp', "target/classes${sep}target/dependency/*".toString(), 'com.example.hello.HelloHost', 'Cp'])
expect(cp, 'Cp', 'under java -cp')
quiet(cp, 'under java -cp')
def fat = new File(basedir, 'target/hello-host-1.0-all.jar')
assert fat.isFile() : "mvn package wrote no ${fat}"
def jar = run([java, '-jar', fat.path, 'Jar'])
expect(jar, 'Jar', 'from the fat jar')
quiet(jar, 'from the fat jar')

// The inspector as the published artifact gives it: an executable jar that answers --help, and reports a
// directory without hubs.
def inspector = new File(localRepositoryPath,
    "dev/spoke/spoke-transport-shm/${spokeVersion}/spoke-transport-shm-${spokeVersion}-inspect.jar")
assert inspector.isFile() : "no ${inspector}"
def help = run([java, '-jar', inspector.path, '--help'])
assert help.startsWith('usage: spoke-inspect') && help.contains('--json') : help
def empty = new File(basedir, 'target/no-hubs')
empty.mkdirs()
assert run([java, '-jar', inspector.path, '--json', empty.path]).trim() == '{"hubs":[]}'
return true
