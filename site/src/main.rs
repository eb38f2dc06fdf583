//! The `cbt-site` command: build, check or serve the site.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use cbt_site::{build, DirSink, NullSink, Project};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cbt-site",
    version,
    about = "De site van de Commissie Balanstoets Telemarketing bouwen, controleren of lokaal tonen"
)]
struct Cli {
    /// De map met content/ en templates/.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// De site bouwen in een map.
    Build {
        /// De map waarin de gebouwde site komt.
        #[arg(long, default_value = "public")]
        out: PathBuf,
        /// Het openbare adres van de site (in plaats van base_url in
        /// content/data/site.toml).
        #[arg(long)]
        base_url: Option<String>,
        /// Voor de echte site: weigert waarden die de CBT nog moet
        /// bevestigen (`# te bevestigen` in content/data/).
        #[arg(long)]
        production: bool,
    },
    /// Alles controleren wat een build controleert, zonder iets te schrijven.
    Check {
        /// Ook weigeren wat de echte site niet mag hebben: waarden die de
        /// CBT nog moet bevestigen.
        #[arg(long)]
        production: bool,
    },
    /// De lijst van waarden die de CBT nog moet bevestigen, in Markdown
    /// (README, "Before going live").
    Unconfirmed,
    /// De site tonen op 127.0.0.1, opnieuw gebouwd en herladen bij elke wijziging.
    #[cfg_attr(
        not(feature = "serve"),
        command(about = "Niet in deze cbt-site: gebouwd zonder `serve`")
    )]
    Serve {
        /// De poort op 127.0.0.1.
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Waar de formulieren bewaren wat ze ontvangen: opslag, uploads, en
        /// elke verstuurde e-mail als .eml-bestand in outbox/.
        #[arg(long, default_value = ".cbt-local")]
        data: PathBuf,
        /// Inzendingen per adres per uur (in Lambda standaard 10; wie de
        /// formulieren lokaal uitprobeert, verstuurt er meer). Geldt ook
        /// voor inzendingen zonder opgeloste uitdaging, voor pagina's van
        /// de functie en voor e-mails per adres per dag.
        #[arg(long, default_value_t = 1000)]
        rate_limit: u32,
        /// Dit adres is lid van het secretariaat in het beheer (/beheer/);
        /// elke aanmeldlink verschijnt ook hier in de terminal.
        #[arg(long)]
        staff: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fout: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut project = Project::at(&cli.root);
    match cli.command {
        Command::Build {
            out,
            base_url,
            production,
        } => {
            project.base_url = base_url;
            project.production = production;
            let started = Instant::now();
            let out = if out.is_absolute() {
                out
            } else {
                cli.root.join(out)
            };
            let sink = DirSink::new(&out);
            match build(&project, &sink) {
                Ok(report) => {
                    let stale = sink
                        .remove_stale(&report.files)
                        .with_context(|| format!("opruimen van {}", out.display()))?;
                    eprintln!(
                        "{} pagina's, {} bestanden in {} gebouwd in {} ms{}",
                        report.pages,
                        report.files.len(),
                        out.display(),
                        started.elapsed().as_millis(),
                        if stale > 0 {
                            format!(" ({stale} oude bestanden verwijderd)")
                        } else {
                            String::new()
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    eprintln!("{problems}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Unconfirmed => match cbt_site::load(&project) {
            Ok((library, _, _)) => {
                print!("{}", cbt_site::before_going_live(&library.rules));
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                eprintln!("{problems}");
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Check { production } => match build(
            &Project {
                production,
                ..project
            },
            &NullSink,
        ) {
            Ok(report) => {
                eprintln!(
                    "in orde: {} pagina's, {} bestanden",
                    report.pages,
                    report.files.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                eprintln!("{problems}");
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Serve {
            port,
            data,
            rate_limit,
            staff,
        } => {
            let data = if data.is_absolute() {
                data
            } else {
                cli.root.join(data)
            };
            serve(project, port, &data, rate_limit, staff.as_deref())
        }
    }
}

#[cfg(feature = "serve")]
fn serve(
    project: Project,
    port: u16,
    data: &std::path::Path,
    rate_limit: u32,
    staff: Option<&str>,
) -> anyhow::Result<ExitCode> {
    cbt_site::serve::run(project, port, data, rate_limit, staff)?;
    Ok(ExitCode::SUCCESS)
}

/// The command stays, so that whoever types it learns why it does nothing.
#[cfg(not(feature = "serve"))]
fn serve(
    _project: Project,
    _port: u16,
    _data: &std::path::Path,
    _rate_limit: u32,
    _staff: Option<&str>,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "deze cbt-site is gebouwd zonder `serve` (--no-default-features) en kan de site \
         alleen bouwen en controleren; lokaal tonen doet `cargo run -p cbt-site -- serve`"
    )
}
